package org.diffusion4j.objective;

/**
 * Adam and AdamW (PyTorch's definitions). At step k = 1, 2, ... with gradient g:
 * <pre>
 *   AdamW only:  p = p - lr wd p                         (decoupled weight decay)
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 *   p = p - lr (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps)
 * </pre>
 */
public record OptimizerSpec(Kind kind, double learningRate, double beta1, double beta2, double eps, double weightDecay) {

    public enum Kind {
        ADAM, ADAMW
    }

    public OptimizerSpec {
        if (kind == null) {
            throw new IllegalArgumentException("optimizer.kind: required, one of adam, adamw");
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("optimizer.lr: must be a finite number > 0, got " + learningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("optimizer.beta1: must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("optimizer.beta2: must be in [0, 1), got " + beta2);
        }
        if (!(eps > 0) || !Double.isFinite(eps)) {
            throw new IllegalArgumentException("optimizer.eps: must be a finite number > 0, got " + eps);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("optimizer.weight_decay: must be a finite number >= 0, got " + weightDecay);
        }
        if (kind == Kind.ADAM && weightDecay != 0) {
            throw new IllegalArgumentException("optimizer.weight_decay: adam takes none (use adamw), got " + weightDecay);
        }
    }

    /** torch.optim.Adam(lr): betas (0.9, 0.999), eps 1e-8. */
    public static OptimizerSpec adam(double lr) {
        return new OptimizerSpec(Kind.ADAM, lr, 0.9, 0.999, 1e-8, 0.0);
    }

    /** torch.optim.AdamW(lr): betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static OptimizerSpec adamW(double lr) {
        return new OptimizerSpec(Kind.ADAMW, lr, 0.9, 0.999, 1e-8, 0.01);
    }
}
