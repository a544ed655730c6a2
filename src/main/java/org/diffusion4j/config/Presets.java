package org.diffusion4j.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.sampler.SamplerSpec;

/**
 * The models of the source documents, with their hyperparameters. Where a document's code is defective the preset
 * keeps its hyperparameters and implements the correct math (see README, "Differences from the documents").
 */
public final class Presets {

    private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

    static {
        // 000: OU (lambda = sigma = 0.5, T = 1, dt = 0.004), [x, y, t] -> 512 -> 512 -> 2 ReLU, variance-weighted DSM,
        // Adam 1e-3, batch 32, 50 epochs of 2048 / 32 batches; reverse SDE by Euler-Maruyama, 250 steps, 256 particles.
        add(new Preset("ou-halfcircles", "000", Datasets.HALFCIRCLES, 2048, OrnsteinUhlenbeck.document000(),
                List.of(new Preset.Net("score", plain(new TimeEmbedding.Raw(1.0), none(), Activation.RELU, 512, 512),
                        new Objective.WeightedScoreMatching(1e-3, 10.0))),
                OptimizerSpec.adam(1e-3), 32, 50 * 64, new SamplerSpec.ReverseSde(), 250, 256));
        // 001, single noise level: ScoreNet2D 2 -> 128 -> 128 -> 128 -> 2 Softplus, sigma = 0.5, AdamW 1e-3, batch 256,
        // 1000 epochs of 5000 / 256 batches; Langevin dynamics.
        add(new Preset("dsm-ring", "001", Datasets.RING, 5000, NoiseLevels.single(0.5, 3.0),
                List.of(new Preset.Net("score", plain(new TimeEmbedding.None(), none(), Activation.SOFTPLUS, 128, 128, 128),
                        new Objective.ScoreMatching())),
                OptimizerSpec.adamW(1e-3), 256, 1000 * 20, new SamplerSpec.AnnealedLangevin(1000, 1e-2), 1000, 5000));
        // 001, DDPM: T = 200, linear beta 1e-4 .. 0.02, Embedding(200, 16) concatenated, 128 -> 128 ReLU, eps MSE,
        // Adam 1e-3, batch 256, 1000 epochs; ancestral sampling with sigma_t^2 = beta_t.
        add(ddpmRing("ddpm-ring", none(), Datasets.RING, new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA)));
        // 001, conditional: one-hot mode index / radius through Linear(1, 16) -> ReLU -> Linear(16, 16); posterior variance.
        add(ddpmRing("ddpm-ring-onehot", new Conditioning.OneHot(8), Datasets.RING,
                new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.POSTERIOR)));
        add(ddpmRing("ddpm-ring-radius", new Conditioning.Continuous(16), Datasets.RING_RADIUS,
                new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.POSTERIOR)));
        // 002: Gaussian path alpha_t = t, beta_t = sqrt(1 - t) (guard t <= 0.999); flow and score networks
        // [x, y, t] -> 1024 -> 16 -> 2 SiLU, Adam 1e-3, batch 1000, 5000 steps; Langevin-flow SDE, sigma 0.5, 300 grid points.
        NetworkSpec flowNet = plain(new TimeEmbedding.Raw(1.0), none(), Activation.SILU, 1024, 16);
        add(new Preset("flow-gmm11", "002", Datasets.GMM11, 50_000, GaussianPath.document002(),
                List.of(new Preset.Net("flow", flowNet, new Objective.FlowMatching()),
                        new Preset.Net("score", flowNet, new Objective.ScoreMatching())),
                OptimizerSpec.adam(1e-3), 1000, 5000, new SamplerSpec.LangevinFlow(0.5), 299, 1000));
        // 003: T = 300, linear beta 1e-4 .. 0.02, residual MLP width 256, 3 blocks, sinusoidal(32) time MLP, SiLU,
        // Adam 1e-4, batch 256, 1000 epochs of 2000 / 256 batches; ancestral sampling with sigma_t^2 = beta_t.
        add(ddpmSpiral("ddpm-spiral", none(), Datasets.SPIRAL, 2000, 1000 * 8));
        // 003, conditional on the shape label (0 spiral, 1 circle) through a label embedding; 200 epochs of 4000 / 256.
        add(ddpmSpiral("ddpm-shapes", new Conditioning.LabelEmbedding(2), Datasets.SHAPES, 4000, 200 * 16));
        // 004: linear beta 1e-4 .. 0.02 over T = 1000 (x_T is then N(0, I), as the document states),
        // [x, y, t / T] -> 256 -> 256 -> 2 ReLU, Adam 1e-3, batch 128; posterior-variance ancestral sampling.
        add(new Preset("ddpm-swissroll", "004", Datasets.SWISSROLL, 2000, Ddpm.linear(1000, 1e-4, 0.02),
                List.of(new Preset.Net("eps", plain(new TimeEmbedding.Raw(1.0 / 1000), none(), Activation.RELU, 256, 256),
                        new Objective.PredictionMatching())),
                OptimizerSpec.adam(1e-3), 128, 20_000, new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.POSTERIOR),
                1000, 2000));
    }

    private Presets() {
    }

    private static Preset ddpmRing(String name, Conditioning conditioning, String dataset, SamplerSpec sampler) {
        ForwardProcess ddpm = Ddpm.linear(200, 1e-4, 0.02);
        return new Preset(name, "001", dataset, 5000, ddpm,
                List.of(new Preset.Net("eps", plain(new TimeEmbedding.Table(200, 16), conditioning, Activation.RELU, 128, 128),
                        new Objective.PredictionMatching())),
                OptimizerSpec.adam(1e-3), 256, 1000 * 20, sampler, 200, 5000);
    }

    private static Preset ddpmSpiral(String name, Conditioning conditioning, String dataset, int dataSize, int steps) {
        NetworkSpec net = new NetworkSpec(new TimeEmbedding.Sinusoidal(32), conditioning, new Body.Residual(256, 3), Activation.SILU);
        return new Preset(name, "003", dataset, dataSize, Ddpm.linear(300, 1e-4, 0.02),
                List.of(new Preset.Net("eps", net, new Objective.PredictionMatching())),
                OptimizerSpec.adam(1e-4), 256, steps, new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA), 300, 2000);
    }

    private static NetworkSpec plain(TimeEmbedding time, Conditioning conditioning, Activation act, Integer... hidden) {
        return new NetworkSpec(time, conditioning, new Body.Plain(List.of(hidden)), act);
    }

    private static Conditioning none() {
        return new Conditioning.None();
    }

    private static void add(Preset p) {
        PRESETS.put(p.name(), p);
    }

    /** Preset names, in document order. */
    public static List<String> names() {
        return List.copyOf(PRESETS.keySet());
    }

    public static List<Preset> all() {
        return List.copyOf(PRESETS.values());
    }

    public static Preset byName(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException("preset: unknown preset '" + name + "', allowed: " + String.join(", ", names()));
        }
        return p;
    }
}
