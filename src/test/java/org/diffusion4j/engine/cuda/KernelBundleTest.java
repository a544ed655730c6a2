package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The fatbins that kernels/build.sh bundles into target/classes/kernels where nvcc exists. */
class KernelBundleTest {

    /** The first word of a fatbin (little-endian). */
    private static final int FATBIN_MAGIC = 0xBA55ED50;

    @Test
    void theEngineKernelsAreBundledWhereNvccExists() {
        Assumptions.assumeTrue(GpuTests.nvccOnPath(), "nvcc is not on the PATH: the build bundles no kernels");
        Assumptions.assumeFalse(Boolean.getBoolean("kernels.skip"), "built with -Dkernels.skip=true");
        assertTrue(KernelBundle.isBundled("probe"), "no /kernels/probe.fatbin on the classpath");
        assertTrue(KernelBundle.modules().contains("probe"), KernelBundle.modules().toString());
        byte[] image = KernelBundle.load("probe");
        assertTrue(image.length > 16, image.length + " bytes");
        assertEquals(FATBIN_MAGIC, ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getInt(0), "not a fatbin");
        assertEquals("sm_80 sm_86 sm_89 sm_90 compute_90", KernelBundle.targets());
        assertTrue(KernelBundle.nvccVersion().matches("\\d+\\.\\d+\\.\\d+"), KernelBundle.nvccVersion());
        assertTrue(KernelBundle.describe().contains("probe"), KernelBundle.describe());
        for (String module : new String[] {"sample", "train", "forward"}) {
            assertTrue(KernelBundle.modules().contains(module), "the engine's module " + module + " is bundled: " + KernelBundle.modules());
        }
        for (String module : KernelBundle.modules()) {
            assertTrue(KernelBundle.isBundled(module), module + " is indexed but not bundled");
        }
    }

    @Test
    void aMissingModuleIsOneLine() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KernelBundle.load("no_such_module"));
        assertEquals("engine: cuda: kernels/no_such_module.fatbin is not bundled in this build (built without nvcc)", e.getMessage());
    }

    @Test
    void moduleNamesAreChecked() {
        assertEquals("/kernels/sde_step.fatbin", KernelBundle.resource("sde_step"));
        for (String bad : new String[] {"", "../x", "a/b", "a.b", "a-b"}) {
            assertThrows(IllegalArgumentException.class, () -> KernelBundle.resource(bad), bad);
        }
    }
}
