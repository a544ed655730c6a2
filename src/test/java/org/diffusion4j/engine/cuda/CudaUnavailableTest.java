package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the CUDA classes say where CUDA cannot be used: one-line errors, no crash. */
class CudaUnavailableTest {

    @Test
    void openingWithoutAGpuIsAOneLineIllegalArgument() {
        GpuTests.assumeNoGpu();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CudaContext::open);
        assertTrue(e.getMessage().startsWith("engine: cuda is unavailable: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertEquals("engine: cuda is unavailable: " + CudaProbe.probe().detail(), e.getMessage());
    }

    @Test
    void theSelfCheckSkipsWithoutAGpu() {
        GpuTests.assumeNoGpu();
        String result = CudaSelfCheck.run();
        assertEquals("skipped: " + CudaProbe.probe().detail(), result);
    }

    @Test
    void buffersNeedAnOpenContext() {
        GpuTests.assumeNoGpu();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceBuffer.floats(4));
        assertEquals("engine: cuda: no open CUDA context is current on this thread (CudaContext.open() or makeCurrent() first)",
                e.getMessage());
    }

    @Test
    void anOldDriverIsRefusedInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaContext.requireDriver(11080));
        assertEquals("engine: cuda: the driver 11.8 is older than 12.0, which the kernels need", e.getMessage());
        CudaContext.requireDriver(12000);
        CudaContext.requireDriver(13000);
    }

    @Test
    void kernelsFromANewerCompilerThanTheDriverAreRefusedInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaContext.requireDriverFor("13.0.88", 12080));
        assertEquals("engine: cuda: the driver 12.8 is older than CUDA 13.0, which the kernels of this build (nvcc 13.0.88) need; rebuild with"
                + " an older nvcc (NVCC=... mvn package) or update the driver", e.getMessage());
        CudaContext.requireDriverFor("13.0.88", 13000);
        CudaContext.requireDriverFor("12.6.85", 12080);
        CudaContext.requireDriverFor(null, 12000);
    }
}
