package org.diffusion4j.engine;

import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.sampler.GaussianPrior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;

/**
 * One sampling run: {@code particles} particles from the prior through {@code steps} updates of the sampler (for
 * annealed Langevin, steps per level come from the sampler), on DDPM at the step indices of {@code spacing}. Noise:
 * particle i draws its prior from {@code normals(seed, i, step 0)} ({@link GaussianPrior}) and update k from
 * {@code normals(seed, i, step k + 1)}. {@code recordEvery > 0} keeps every recordEvery-th state (and the first and
 * last) as a trajectory.
 */
public record SamplingSetup(ForwardProcess process, SamplerSpec sampler, ScoreSource source, int particles, int steps, long seed,
                            int recordEvery, Spacing spacing, GaussianPrior prior) {
    public SamplingSetup {
        if (particles <= 0) {
            throw new IllegalArgumentException("particles: must be > 0, got " + particles);
        }
        if (steps <= 0) {
            throw new IllegalArgumentException("steps: must be > 0, got " + steps);
        }
        if (recordEvery < 0) {
            throw new IllegalArgumentException("record_every: must be >= 0, got " + recordEvery);
        }
        if (spacing == null || prior == null) {
            throw new IllegalArgumentException("sampling: a spacing and a prior are required");
        }
        sampler.check(process);
        if (sampler.needsVelocity(process) && source instanceof ScoreSource.Network) {
            throw new IllegalArgumentException("sampler: " + sampler.name() + " needs a velocity field: a flow and a score network, or an exact mixture");
        }
    }

    /** Trailing spacing, the prior N(0, priorStd^2 I) of the process. */
    public SamplingSetup(ForwardProcess process, SamplerSpec sampler, ScoreSource source, int particles, int steps, long seed,
                         int recordEvery) {
        this(process, sampler, source, particles, steps, seed, recordEvery, Spacing.TRAILING, GaussianPrior.isotropic(process.priorStd()));
    }

    public SamplingSetup(ForwardProcess process, SamplerSpec sampler, ScoreSource source, int particles, int steps, long seed) {
        this(process, sampler, source, particles, steps, seed, 0);
    }

    /** The same run with another spacing and prior. */
    public SamplingSetup with(Spacing spacing, GaussianPrior prior) {
        return new SamplingSetup(process, sampler, source, particles, steps, seed, recordEvery, spacing, prior);
    }
}
