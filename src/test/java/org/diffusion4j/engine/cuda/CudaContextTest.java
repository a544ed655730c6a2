package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jcuda.driver.CUfunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA context, device buffers and launches on a real GPU; skipped where there is none. */
@Tag(GpuTests.TAG)
class CudaContextTest {

    private CudaContext ctx;

    @BeforeEach
    void open() {
        GpuTests.assumeGpu();
        ctx = CudaContext.open();
    }

    @AfterEach
    void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    @Test
    void theProbeKernelWrites42() {
        CUfunction probe = ctx.function("probe", "d4j_probe");
        assertTrue(probe == ctx.function("probe", "d4j_probe"), "functions are cached");
        try (DeviceBuffer out = DeviceBuffer.ints(4)) {
            out.copyFrom(new int[] {-1, -1, -1, -1});
            new KernelLaunch().ptr(out).launch(probe, 1, 32, 0);
            int[] result = new int[4];
            out.copyTo(result);
            assertArrayEquals(new int[] {42, -1, -1, -1}, result);
        }
        ctx.synchronize();
    }

    @Test
    void theSelfCheckPasses() {
        String result = CudaSelfCheck.run();
        assertTrue(result.startsWith("ok: d4j_probe wrote 42 on "), result);
    }

    @Test
    void theDeviceIsDescribed() {
        assertTrue(ctx.multiprocessors() > 0);
        assertTrue(ctx.computeCapability() >= 50, "sm_" + ctx.computeCapability());
        assertTrue(ctx.sharedMemoryPerBlockOptin() >= 48 * 1024);
        assertTrue(ctx.driverVersion() >= CudaContext.MIN_DRIVER_VERSION);
        long[] memory = ctx.memoryInfo();
        assertTrue(memory[0] > 0 && memory[0] <= memory[1], memory[0] + " of " + memory[1]);
        assertTrue(CudaContext.current() == ctx);
    }

    @Test
    void floatsAndIntsRoundTrip() {
        float[] values = {0f, 1.5f, -2.25f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, -0f};
        try (DeviceBuffer f = DeviceBuffer.of(values); DeviceBuffer i = DeviceBuffer.of(new int[] {7, -8, Integer.MIN_VALUE})) {
            assertEquals(values.length, f.size());
            assertEquals(4L * values.length, f.byteSize());
            float[] back = new float[values.length];
            f.copyTo(back);
            for (int k = 0; k < values.length; k++) {
                assertEquals(Float.floatToRawIntBits(values[k]), Float.floatToRawIntBits(back[k]), "element " + k);
            }
            float[] middle = new float[3];
            f.copyTo(middle, 2, 3);
            assertArrayEquals(new float[] {-2.25f, Float.MIN_VALUE, Float.MAX_VALUE}, middle);
            int[] ints = new int[3];
            i.copyTo(ints);
            assertArrayEquals(new int[] {7, -8, Integer.MIN_VALUE}, ints);
            IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> f.copyTo(new float[4], 5, 4));
            assertEquals("engine: cuda: elements [5, 9) are outside a buffer of 7 floats", outside.getMessage());
            assertThrows(IllegalArgumentException.class, () -> i.copyTo(new float[1]));
        }
    }

    @Test
    void zeroClearsEveryElement() {
        try (DeviceBuffer b = DeviceBuffer.of(new float[] {1f, 2f, 3f, 4f, 5f})) {
            b.zero();
            float[] back = {9f, 9f, 9f, 9f, 9f};
            b.copyTo(back);
            assertArrayEquals(new float[5], back);
        }
    }

    @Test
    void closingTwiceIsSafeAndAClosedBufferRefusesWork() {
        DeviceBuffer b = DeviceBuffer.floats(1000);
        b.close();
        assertDoesNotThrow(b::close);
        assertTrue(b.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.copyTo(new float[1]));
        assertEquals("engine: cuda: the buffer of 1000 floats is closed", e.getMessage());
        DeviceBuffer survivor = DeviceBuffer.floats(10);
        ctx.close();
        assertTrue(survivor.isClosed(), "closing the context releases its buffers");
        assertDoesNotThrow(survivor::close);
        assertDoesNotThrow(ctx::close);
        assertThrows(IllegalStateException.class, CudaContext::current);
    }

    @Test
    void anAbsurdAllocationSaysOutOfMemoryInOneLine() {
        long bytes = 1L << 50;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceBuffer.bytes(bytes));
        assertTrue(e.getMessage().startsWith("engine: cuda: out of GPU memory allocating " + bytes + " bytes ("), e.getMessage());
        assertTrue(e.getMessage().matches(".*\\([0-9.]+ GiB of [0-9.]+ GiB free\\)"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        try (DeviceBuffer b = DeviceBuffer.floats(16)) {
            assertEquals(16, b.size(), "the context still works after a failed allocation");
        }
    }

    @Test
    void aMissingKernelIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.function("probe", "no_such_kernel"));
        assertEquals("engine: cuda: kernels/probe.fatbin has no kernel 'no_such_kernel' (is it extern \"C\"?)", e.getMessage());
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> ctx.module("no_such_module"));
        assertEquals("engine: cuda: kernels/no_such_module.fatbin is not bundled in this build (built without nvcc)", missing.getMessage());
    }

    @Test
    void badLaunchShapesAreRefusedBeforeTheDriver() {
        CUfunction probe = ctx.function("probe", "d4j_probe");
        try (DeviceBuffer out = DeviceBuffer.ints(1)) {
            KernelLaunch launch = new KernelLaunch().ptr(out);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> launch.launch(probe, 1, 2048, 0));
            assertTrue(e.getMessage().startsWith("engine: cuda: launch of probe.d4j_probe with grid 1x1, block 2048x1"), e.getMessage());
            long tooMuch = ctx.sharedMemoryPerBlockOptin() + 1;
            assertThrows(IllegalArgumentException.class, () -> launch.launch(probe, 1, 32, (int) tooMuch));
            assertDoesNotThrow(() -> launch.launch(probe, 1, 32, 64 * 1024));
            ctx.synchronize();
        }
    }
}
