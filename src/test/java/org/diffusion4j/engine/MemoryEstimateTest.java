package org.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.TimeEmbedding;
import org.junit.jupiter.api.Test;

/** The memory estimate against hand counts of the engines' buffers, and its one-line refusal. */
class MemoryEstimateTest {
    /** [x, y, t] -> 100 -> 2: 3*100 + 100 + 100*2 + 2 = 602 parameters. */
    static final NetworkSpec NET = new NetworkSpec(new TimeEmbedding.Raw(1), new Conditioning.None(), new Body.Plain(List.of(100)), Activation.RELU);

    @Test
    void cpuTrainingAndSamplingByHand() {
        // batch 256: 2 chunk gradients; (8 + 8 + 16 + 4 * 2) * 602 = 24080 bytes, plus per thread 4 * 32 * (2 * 100 + 6 * 100)
        // = 102400, on 2 threads
        MemoryEstimate m = MemoryEstimate.of("cpu", 2).training("network[0].body", NET, "training.batch_size", 256);
        assertEquals(24080 + 2 * 102400, m.heapBytes());
        assertEquals(0, m.deviceBytes());
        // an EMA of the weights: the engine's copy and the one handed back, 2 * 4 * 602 = 4816 more
        assertEquals(24080 + 2 * 102400 + 4816, MemoryEstimate.of("cpu", 2).training("network[0].body", NET, "training.batch_size", 256, true).heapBytes());
        // 1000 particles, 3 frames: 16 * (3 + 2) * 1000 = 80000; weights 8 * 602 = 4816; 11 times of 4 * 100
        MemoryEstimate s = MemoryEstimate.of("cpu", 2).sampling(List.of(NET), "--particles", 1000, 3, 11);
        assertEquals(80000 + 4816 + 4400, s.heapBytes());
    }

    @Test
    void cudaPartsLiveOnTheDevice() {
        MemoryEstimate m = MemoryEstimate.of("cuda", 2).training("network[0].body", NET, "training.batch_size", 256)
                .sampling(List.of(NET), "--particles", 1000, 3, 11);
        // device: 16 * 602 + 16 * 256 * 100 + 4 * 602 + 4 * 100 * 11 + 8 * 4 * 1000
        assertEquals(9632 + 409600 + 2408 + 4400 + 32000, m.deviceBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.require(Long.MAX_VALUE, 100_000));
        assertTrue(e.getMessage().startsWith("training.batch_size: ") && e.getMessage().contains("GPU memory")
                && e.getMessage().contains("free GPU memory"), e.getMessage());
    }

    @Test
    void refusalNamesTheLargestPartAndTheLimit() {
        MemoryEstimate m = MemoryEstimate.of("cpu", 1).sampling(List.of(NET), "--particles", 100_000_000, 2, 201);
        m.require(m.heapBytes(), -1); // fits exactly
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.require(m.heapBytes() - 1, -1));
        assertTrue(e.getMessage().startsWith("--particles: the run needs about 6.0 GiB of heap memory on the cpu engine"), e.getMessage());
        assertTrue(e.getMessage().contains("-Xmx"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
