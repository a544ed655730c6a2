package org.diffusion4j.engine.cuda;

import java.util.Locale;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * An array in GPU memory: a typed wrapper of a {@link CUdeviceptr} (cuMemAlloc) of {@link #size()} elements.
 *
 * <p>Buffers are allocated in the {@link CudaContext} current on the calling thread ({@link CudaContext#current()})
 * and belong to it: {@link #close()} frees the memory exactly once (later calls do nothing), and closing the context
 * first frees it too. Copies are synchronous (cuMemcpyHtoD, cuMemcpyDtoH): a copy back waits for the kernels before it,
 * so errors of those kernels surface there. A buffer of 0 elements allocates nothing and has a null pointer.
 */
public final class DeviceBuffer implements AutoCloseable {

    /** The element type of a buffer. */
    public enum Type {
        FLOAT(4, "floats"), INT(4, "ints"), DOUBLE(8, "doubles"), BYTE(1, "bytes");

        private final int bytes;
        private final String plural;

        Type(int bytes, String plural) {
            this.bytes = bytes;
            this.plural = plural;
        }

        /** Bytes per element. */
        public int bytes() {
            return bytes;
        }
    }

    private final CudaContext owner;
    private final Type type;
    private final long size;
    private final CUdeviceptr pointer;
    /** Guarded by the owner's lock. */
    private boolean freed;

    private DeviceBuffer(CudaContext owner, Type type, long size, CUdeviceptr pointer) {
        this.owner = owner;
        this.type = type;
        this.size = size;
        this.pointer = pointer;
    }

    /** An uninitialized buffer of {@code n} floats. */
    public static DeviceBuffer floats(long n) {
        return allocate(Type.FLOAT, n);
    }

    /** An uninitialized buffer of {@code n} ints. */
    public static DeviceBuffer ints(long n) {
        return allocate(Type.INT, n);
    }

    /** An uninitialized buffer of {@code n} doubles. */
    public static DeviceBuffer doubles(long n) {
        return allocate(Type.DOUBLE, n);
    }

    /** A double buffer holding a copy of {@code values}. */
    public static DeviceBuffer of(double[] values) {
        DeviceBuffer b = doubles(values.length);
        try {
            b.copyFrom(values);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** An uninitialized buffer of {@code n} bytes (scratch space, kernel-defined layouts). */
    public static DeviceBuffer bytes(long n) {
        return allocate(Type.BYTE, n);
    }

    /** A float buffer holding a copy of {@code values}. */
    public static DeviceBuffer of(float[] values) {
        DeviceBuffer b = floats(values.length);
        try {
            b.copyFrom(values);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** An int buffer holding a copy of {@code values}. */
    public static DeviceBuffer of(int[] values) {
        DeviceBuffer b = ints(values.length);
        try {
            b.copyFrom(values);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    private static DeviceBuffer allocate(Type type, long n) {
        if (n < 0 || n > Long.MAX_VALUE / type.bytes) {
            throw new IllegalArgumentException("engine: cuda: a buffer of " + n + " " + type.plural + " is not allocatable");
        }
        CudaContext owner = CudaContext.current();
        long bytes = n * type.bytes;
        CUdeviceptr pointer = new Address();
        if (bytes > 0) {
            try {
                JCudaDriver.cuMemAlloc(pointer, bytes);
            } catch (RuntimeException e) {
                if ("CUDA_ERROR_OUT_OF_MEMORY".equals(CudaErrors.code(e))) {
                    throw new IllegalStateException(outOfMemory(owner, bytes), e);
                }
                throw CudaErrors.wrap("allocating " + bytes + " bytes", e);
            }
        }
        DeviceBuffer buffer = new DeviceBuffer(owner, type, n, pointer);
        try {
            owner.register(buffer);
        } catch (RuntimeException e) {
            JCudaDriver.cuMemFree(pointer);
            throw e;
        }
        return buffer;
    }

    private static String outOfMemory(CudaContext owner, long bytes) {
        String free;
        try {
            long[] info = owner.memoryInfo();
            free = gib(info[0]) + " of " + gib(info[1]) + " free";
        } catch (RuntimeException e) {
            free = "free memory unknown";
        }
        return "engine: cuda: out of GPU memory allocating " + bytes + " bytes (" + free + ")";
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    /** Copies {@code src} into the first {@code src.length} elements (a float buffer, at most {@link #size()}). */
    public void copyFrom(float[] src) {
        requireType(Type.FLOAT);
        requireRange(0, src.length);
        copyIn(Pointer.to(src), (long) src.length * 4);
    }

    /** Copies {@code src} into the first {@code src.length} elements (an int buffer, at most {@link #size()}). */
    public void copyFrom(int[] src) {
        requireType(Type.INT);
        requireRange(0, src.length);
        copyIn(Pointer.to(src), (long) src.length * 4);
    }

    /** Copies {@code src} into the first {@code src.length} elements (a double buffer, at most {@link #size()}). */
    public void copyFrom(double[] src) {
        requireType(Type.DOUBLE);
        requireRange(0, src.length);
        copyIn(Pointer.to(src), (long) src.length * 8);
    }

    /** Copies the first {@code dst.length} elements into {@code dst} (a double buffer, at most {@link #size()}). */
    public void copyTo(double[] dst) {
        requireType(Type.DOUBLE);
        requireRange(0, dst.length);
        copyOut(Pointer.to(dst), 0, (long) dst.length * 8);
    }

    /** Copies the first {@code dst.length} elements into {@code dst} (a float buffer, at most {@link #size()}). */
    public void copyTo(float[] dst) {
        copyTo(dst, 0, dst.length);
    }

    /** Copies {@code count} elements starting at element {@code offset} into {@code dst[0 .. count)}. */
    public void copyTo(float[] dst, long offset, int count) {
        requireType(Type.FLOAT);
        requireCount(dst.length, count);
        requireRange(offset, count);
        copyOut(Pointer.to(dst), offset * 4, (long) count * 4);
    }

    /** Copies the first {@code dst.length} elements into {@code dst} (an int buffer, at most {@link #size()}). */
    public void copyTo(int[] dst) {
        copyTo(dst, 0, dst.length);
    }

    /** Copies {@code count} elements starting at element {@code offset} into {@code dst[0 .. count)}. */
    public void copyTo(int[] dst, long offset, int count) {
        requireType(Type.INT);
        requireCount(dst.length, count);
        requireRange(offset, count);
        copyOut(Pointer.to(dst), offset * 4, (long) count * 4);
    }

    /** Sets every byte to 0 (cuMemsetD8; float 0.0f and int 0 alike). */
    public void zero() {
        requireOpen();
        if (byteSize() == 0) {
            return;
        }
        owner.ensureCurrent();
        try {
            JCudaDriver.cuMemsetD8(pointer, (byte) 0, byteSize());
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("zeroing " + byteSize() + " bytes", e);
        }
    }

    /** A host pointer to the device pointer: what a kernel parameter list holds for this buffer. */
    public Pointer pointer() {
        return Pointer.to(devicePointer());
    }

    /** The device pointer itself (for cuMemcpy calls and libraries). */
    public CUdeviceptr devicePointer() {
        requireOpen();
        return pointer;
    }

    /** The device address, as a kernel argument struct holds it (KernelStruct). */
    long devicePointerAddress() {
        requireOpen();
        return ((Address) pointer).address();
    }

    /** A device pointer whose address can be read: cuMemAlloc fills it like any CUdeviceptr. */
    private static final class Address extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** Number of bytes: {@code size() * type().bytes()}. */
    public long byteSize() {
        return size * type.bytes;
    }

    /** The element type. */
    public Type type() {
        return type;
    }

    /** The context the buffer belongs to. */
    public CudaContext context() {
        return owner;
    }

    /** Whether the memory was freed (by {@link #close()} or by closing its context). */
    public boolean isClosed() {
        synchronized (owner) {
            return freed;
        }
    }

    /** Frees the memory; only the first call does anything, and none after its context was closed. */
    @Override
    public void close() {
        synchronized (owner) {
            if (freed) {
                return;
            }
            freed = true;
            if (owner.unregister(this) && byteSize() > 0) {
                owner.ensureCurrent();
                try {
                    JCudaDriver.cuMemFree(pointer);
                } catch (RuntimeException e) {
                    throw CudaErrors.wrap("freeing " + byteSize() + " bytes", e);
                }
            }
        }
    }

    /** Called by the owner as it is destroyed: the memory is gone with it. */
    void released() {
        freed = true;
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + size + " " + type.plural + (isClosed() ? ", closed" : "") + "]";
    }

    private void copyIn(Pointer src, long bytes) {
        requireOpen();
        if (bytes == 0) {
            return;
        }
        owner.ensureCurrent();
        try {
            JCudaDriver.cuMemcpyHtoD(pointer, src, bytes);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("copying " + bytes + " bytes to the GPU", e);
        }
    }

    private void copyOut(Pointer dst, long byteOffset, long bytes) {
        requireOpen();
        if (bytes == 0) {
            return;
        }
        owner.ensureCurrent();
        try {
            JCudaDriver.cuMemcpyDtoH(dst, pointer.withByteOffset(byteOffset), bytes);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("copying " + bytes + " bytes from the GPU", e);
        }
    }

    private void requireOpen() {
        if (isClosed()) {
            throw new IllegalStateException("engine: cuda: the buffer of " + size + " " + type.plural + " is closed");
        }
    }

    private void requireType(Type expected) {
        if (type != expected) {
            throw new IllegalArgumentException("engine: cuda: a buffer of " + type.plural + " used as " + expected.plural);
        }
    }

    private static void requireCount(int length, int count) {
        if (count < 0 || count > length) {
            throw new IllegalArgumentException("engine: cuda: cannot copy " + count + " elements into an array of " + length);
        }
    }

    private void requireRange(long offset, long count) {
        if (offset < 0 || count < 0 || offset > size - count) {
            throw new IllegalArgumentException("engine: cuda: elements [" + offset + ", " + (offset + count)
                    + ") are outside a buffer of " + size + " " + type.plural);
        }
    }
}
