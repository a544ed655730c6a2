package org.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * Builds the parameter list of a kernel, in the order of its C signature, and launches it on the default stream:
 *
 * <pre>{@code
 * new KernelLaunch().ptr(out).ptr(in).i32(n).f32(dt).launch(ctx.function("sde", "em_step"), blocks, 256, 0);
 * }</pre>
 *
 * <p>{@code ptr} is a device pointer ({@code float*}, {@code int*}, ...), {@code ptrOrNull} one that may be
 * {@code nullptr}, {@code i32} an {@code int} / {@code uint32_t}, {@code i64} a {@code long long} / {@code int64_t}
 * / {@code size_t}, {@code f32} a {@code float}. Launches are asynchronous: errors in the kernel surface at the next
 * synchronizing call (a copy back, {@link CudaContext#synchronize()}), or at once with the system property
 * {@code diffusion4j.cuda.syncLaunches=true}, which synchronizes after every launch (for debugging).
 */
public final class KernelLaunch {

    /** Whether every launch waits for its kernel, so errors name the kernel that caused them. */
    static final boolean SYNC_LAUNCHES = Boolean.getBoolean("diffusion4j.cuda.syncLaunches");

    private final List<String> kinds = new ArrayList<>();
    private final List<Object> values = new ArrayList<>();
    private final List<Pointer> parameters = new ArrayList<>();

    /** An empty parameter list. */
    public KernelLaunch() {
    }

    /** Appends a device pointer: the buffer's memory. */
    public KernelLaunch ptr(DeviceBuffer buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException("engine: cuda: kernel argument " + kinds.size() + " is a null buffer (ptrOrNull for an optional one)");
        }
        return add("ptr", buffer, Pointer.to(buffer.devicePointer()));
    }

    /** Appends a device pointer that is {@code nullptr} when {@code buffer} is null (an optional input). */
    public KernelLaunch ptrOrNull(DeviceBuffer buffer) {
        return buffer == null ? add("null", null, Pointer.to(new CUdeviceptr())) : ptr(buffer);
    }

    /** Appends a struct passed by value (its bytes, in the C layout: {@link KernelStruct}). */
    KernelLaunch struct(KernelStruct s) {
        return add("struct" + s.size(), s, Pointer.to(s.toBytes()));
    }

    /** Appends a 32-bit integer. */
    public KernelLaunch i32(int value) {
        return add("i32", value, Pointer.to(new int[] {value}));
    }

    /** Appends a 64-bit integer. */
    public KernelLaunch i64(long value) {
        return add("i64", value, Pointer.to(new long[] {value}));
    }

    /** Appends a 32-bit float. */
    public KernelLaunch f32(float value) {
        return add("f32", value, Pointer.to(new float[] {value}));
    }

    /** Appends a 64-bit double. */
    public KernelLaunch f64(double value) {
        return add("f64", value, Pointer.to(new double[] {value}));
    }

    private KernelLaunch add(String kind, Object value, Pointer parameter) {
        kinds.add(kind);
        values.add(value);
        parameters.add(parameter);
        return this;
    }

    /** Number of parameters so far. */
    public int count() {
        return kinds.size();
    }

    /** The parameter kinds in order, e.g. {@code (ptr, null, i32, f32)}: for messages and tests. */
    public String signature() {
        return "(" + String.join(", ", kinds) + ")";
    }

    /** The parameter values in order: the {@link DeviceBuffer}, null, Integer, Long or Float given. */
    public List<Object> values() {
        return Collections.unmodifiableList(values);
    }

    /** The {@code void** kernelParams} of cuLaunchKernel: a pointer to one pointer per parameter. */
    public Pointer parameters() {
        return Pointer.to(parameters.toArray(new NativePointerObject[0]));
    }

    /**
     * Launches a 1D grid on the default stream, with {@code sharedBytes} of dynamic shared memory (above 48 KiB
     * the function is opted in first).
     *
     * @throws IllegalArgumentException for a bad grid, block or shared-memory size
     * @throws IllegalStateException    when the driver refuses the launch
     */
    public void launch(CUfunction function, int gridX, int blockX, int sharedBytes) {
        launch(function, gridX, 1, blockX, 1, sharedBytes);
    }

    /** Launches a 2D grid of 2D blocks; otherwise as {@link #launch(CUfunction, int, int, int)}. */
    public void launch(CUfunction function, int gridX, int gridY, int blockX, int blockY, int sharedBytes) {
        if (function == null) {
            throw new IllegalArgumentException("engine: cuda: launch of a null kernel");
        }
        CudaContext ctx = CudaContext.current();
        String name = ctx.nameOf(function);
        if (gridX < 1 || gridY < 1 || gridY > 65535 || blockX < 1 || blockY < 1 || (long) blockX * blockY > 1024 || sharedBytes < 0) {
            throw new IllegalArgumentException("engine: cuda: launch of " + name + " with grid " + gridX + "x" + gridY
                    + ", block " + blockX + "x" + blockY + " and " + sharedBytes + " shared bytes is out of range");
        }
        ctx.allowSharedMemory(function, sharedBytes);
        KernelProfile profile = ctx.profile();
        try {
            Object token = profile == null ? null : profile.start(name);
            JCudaDriver.cuLaunchKernel(function, gridX, gridY, 1, blockX, blockY, 1, sharedBytes, null, parameters(), null);
            if (token != null) {
                profile.stop(token);
            }
            if (SYNC_LAUNCHES) {
                JCudaDriver.cuCtxSynchronize();
            }
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("launch of " + name + signature(), e);
        }
    }
}
