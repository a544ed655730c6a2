package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jcuda.CudaException;
import org.junit.jupiter.api.Test;

/** One-line messages for JCuda's exceptions. */
class CudaErrorsTest {

    @Test
    void aCodeIsNamedWithItsMeaningAndTheOperation() {
        CudaException cause = new CudaException("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
        RuntimeException e = CudaErrors.wrap("launch of sde.step(ptr, i32)", cause);
        assertTrue(e instanceof IllegalStateException);
        assertSame(cause, e.getCause());
        assertEquals("engine: cuda: launch of sde.step(ptr, i32) failed: too many resources requested for the launch"
                + " (registers, threads) (CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)", e.getMessage());
    }

    @Test
    void stickyErrorsSayTheContextIsGone() {
        RuntimeException e = CudaErrors.wrap("copying 64 bytes from the GPU", new CudaException("CUDA_ERROR_ILLEGAL_ADDRESS"));
        assertEquals("engine: cuda: copying 64 bytes from the GPU failed: an illegal memory access in a kernel"
                + " (CUDA_ERROR_ILLEGAL_ADDRESS); the CUDA context is unusable now and must be closed", e.getMessage());
        assertTrue(CudaErrors.isSticky("CUDA_ERROR_LAUNCH_FAILED"));
        assertTrue(!CudaErrors.isSticky("CUDA_ERROR_OUT_OF_MEMORY"));
    }

    @Test
    void unknownCodesAndOtherThrowablesStayOneLine() {
        assertEquals("engine: cuda: x failed: something new (CUDA_ERROR_SOMETHING_NEW)",
                CudaErrors.wrap("x", new CudaException("CUDA_ERROR_SOMETHING_NEW")).getMessage());
        assertEquals("engine: cuda: x failed: first", CudaErrors.wrap("x", new RuntimeException("first\nsecond")).getMessage());
        assertEquals("engine: cuda: x failed: no CUDA driver found (libcuda)",
                CudaErrors.wrap("x", new UnsatisfiedLinkError("libcuda")).getMessage());
        IllegalStateException already = new IllegalStateException("engine: cuda: out of GPU memory allocating 8 bytes");
        assertSame(already, CudaErrors.wrap("x", already));
    }

    @Test
    void codesAreFoundInTheCauseChain() {
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY",
                CudaErrors.code(new RuntimeException("wrapped", new CudaException("CUDA_ERROR_OUT_OF_MEMORY"))));
        assertNull(CudaErrors.code(new RuntimeException("CUDA_ERROR_OUT_OF_MEMORY")));
    }
}
