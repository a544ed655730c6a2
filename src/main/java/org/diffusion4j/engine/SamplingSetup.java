package org.diffusion4j.engine;

import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.sampler.SamplerSpec;

/**
 * One sampling run: {@code particles} particles from the process's prior through {@code steps} updates of the
 * sampler (for annealed Langevin, steps per level come from the sampler). Noise: particle i draws its prior
 * from {@code normals(seed, i, step 0)} and update k from {@code normals(seed, i, step k + 1)}.
 * {@code recordEvery > 0} keeps every recordEvery-th state (and the first and last) as a trajectory.
 */
public record SamplingSetup(ForwardProcess process, SamplerSpec sampler, ScoreSource source, int particles, int steps, long seed,
                            int recordEvery) {
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
        sampler.check(process);
        if (sampler.needsVelocity(process) && source instanceof ScoreSource.Network) {
            throw new IllegalArgumentException("sampler: " + sampler.name() + " needs a velocity field: a flow and a score network, or an exact mixture");
        }
    }

    public SamplingSetup(ForwardProcess process, SamplerSpec sampler, ScoreSource source, int particles, int steps, long seed) {
        this(process, sampler, source, particles, steps, seed, 0);
    }
}
