package org.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.engine.cpu.CpuEngine;
import org.diffusion4j.engine.cuda.CudaProbe;
import org.junit.jupiter.api.Test;

/** {@code --engine auto}: silent fallback only where there is nothing to use, one warning line with the reason otherwise. */
class EnginesTest {
    private static final CudaProbe.Result NO_DRIVER = new CudaProbe.Result(false, "no CUDA driver found", 0, null, true);
    private static final CudaProbe.Result NO_GPU = new CudaProbe.Result(false, "the CUDA driver 12.8 finds no GPU", 12080, null, true);
    private static final CudaProbe.Result BROKEN = new CudaProbe.Result(false, "CUDA is not usable: cuInit failed with CUDA_ERROR_UNKNOWN", 0, null,
            false);
    private static final CudaProbe.Result GPU = new CudaProbe.Result(true, "NVIDIA H200, driver 12.8", 12080, "NVIDIA H200", false);

    private static Engine cudaThatFails() {
        throw new IllegalStateException("CUDA_ERROR_INVALID_IMAGE loading kernels/sample.fatbin");
    }

    @Test
    void noDriverOrNoGpuFallsBackSilently() {
        for (CudaProbe.Result probe : List.of(NO_DRIVER, NO_GPU)) {
            List<String> warnings = new ArrayList<>();
            try (Engine e = Engines.auto(probe, true, EnginesTest::cudaThatFails, warnings::add)) {
                assertEquals("cpu", e.name());
            }
            assertEquals(List.of(), warnings, probe.detail());
        }
    }

    @Test
    void aGpuThatCannotBeUsedIsOneWarningLineWithTheReason() {
        record Case(CudaProbe.Result probe, boolean kernels, String reason) {
        }
        for (Case c : List.of(new Case(BROKEN, true, "cuInit failed with CUDA_ERROR_UNKNOWN"),
                new Case(GPU, false, "a GPU is present (NVIDIA H200, driver 12.8) but this build bundles no CUDA kernels"),
                new Case(GPU, true, "the cuda engine failed to start on NVIDIA H200, driver 12.8: CUDA_ERROR_INVALID_IMAGE loading kernels/sample.fatbin"))) {
            List<String> warnings = new ArrayList<>();
            try (Engine e = Engines.auto(c.probe(), c.kernels(), EnginesTest::cudaThatFails, warnings::add)) {
                assertEquals("cpu", e.name());
            }
            assertEquals(1, warnings.size(), warnings.toString());
            String w = warnings.get(0);
            assertTrue(w.startsWith("warning: engine auto: ") && w.contains(c.reason()) && w.endsWith("running on the cpu engine instead"), w);
            assertEquals(1, w.lines().count(), w);
        }
    }

    @Test
    void aGpuThatWorksIsUsed() {
        Engine cuda = new CpuEngine(1); // stands in for the CUDA engine: auto must return what the supplier opened
        List<String> warnings = new ArrayList<>();
        assertSame(cuda, Engines.auto(GPU, true, () -> cuda, warnings::add));
        assertEquals(List.of(), warnings);
        cuda.close();
    }
}
