package org.diffusion4j.run;

import java.util.List;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.MemoryEstimate;
import org.diffusion4j.model.NetworkSpec;

/** Refuses, before any work, a run whose estimated memory ({@link MemoryEstimate}) exceeds the JVM heap or the GPU's free memory. */
final class MemoryCheck {

    private MemoryCheck() {
    }

    /**
     * The estimate of training every network of {@code c} (when {@code training}) and sampling it keeping every
     * {@code recordEvery}-th state.
     */
    static MemoryEstimate estimate(Engine e, RunConfig c, boolean training, int recordEvery) {
        MemoryEstimate m = MemoryEstimate.of(e.name(), Runtime.getRuntime().availableProcessors());
        List<NetworkSpec> specs = c.networks().stream().map(Preset.Net::spec).toList();
        if (training) {
            for (int i = 0; i < specs.size(); i++) {
                m.training("network[" + i + "].body", specs.get(i), "training.batch_size", c.training().batchSize(), c.training().regimen().hasEma());
            }
        }
        int steps = c.sampling().steps();
        int frames = (steps + recordEvery - 1) / recordEvery + 1;
        // a sampler evaluates the field at most at two times per update (Heun: t and the next t)
        return m.sampling(specs, "sampling.particles", c.sampling().particles(), frames, 2 * steps + 1);
    }

    /** Refuses the run in one line when it does not fit. */
    static void require(Engine e, RunConfig c, boolean training, int recordEvery) {
        estimate(e, c, training, recordEvery).require(Runtime.getRuntime().maxMemory(), e.freeDeviceMemory());
    }
}
