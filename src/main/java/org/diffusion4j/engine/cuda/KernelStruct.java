package org.diffusion4j.engine.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The bytes of a C struct passed by value as one kernel argument ({@link KernelLaunch#struct}), written field by field
 * in the struct's order with its natural alignment (each field at a multiple of its size, the whole a multiple of 8):
 *
 * <pre>{@code
 * KernelStruct a = new KernelStruct().ptr(params).ptrOrNull(scale).f32(guidance).i32(1).ints(descriptor);
 * new KernelLaunch().struct(a.expectSize(SAMPLE_ARGS_BYTES)).launch(kernel, blocks, threads, shared);
 * }</pre>
 *
 * {@link #expectSize} pins the total to the {@code static_assert} of the C side, so a field added on one side only
 * fails at once with both sizes named.
 */
final class KernelStruct {
    private ByteBuffer bytes = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    private final String name;

    KernelStruct(String name) {
        this.name = name;
    }

    private ByteBuffer at(int size) {
        int pos = (bytes.position() + size - 1) / size * size;
        if (pos + size > bytes.capacity()) {
            ByteBuffer grown = ByteBuffer.allocate(Math.max(2 * bytes.capacity(), pos + size)).order(ByteOrder.LITTLE_ENDIAN);
            bytes.flip();
            grown.put(bytes);
            bytes = grown;
        }
        bytes.position(pos);
        return bytes;
    }

    /** A device pointer. */
    KernelStruct ptr(DeviceBuffer buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException("engine: cuda: field at byte " + bytes.position() + " of " + name
                    + " is a null buffer (ptrOrNull for an optional one)");
        }
        at(8).putLong(buffer.devicePointerAddress());
        return this;
    }

    /** A device pointer, {@code nullptr} when {@code buffer} is null. */
    KernelStruct ptrOrNull(DeviceBuffer buffer) {
        if (buffer == null) {
            at(8).putLong(0L);
            return this;
        }
        return ptr(buffer);
    }

    KernelStruct i32(int v) {
        at(4).putInt(v);
        return this;
    }

    KernelStruct f32(float v) {
        at(4).putFloat(v);
        return this;
    }

    KernelStruct f64(double v) {
        at(8).putDouble(v);
        return this;
    }

    KernelStruct i64(long v) {
        at(8).putLong(v);
        return this;
    }

    /** An array of ints (a nested struct of 4-byte fields, such as the network descriptor). */
    KernelStruct ints(int[] v) {
        for (int x : v) {
            i32(x);
        }
        return this;
    }

    /** Bytes so far, padded to the struct's alignment of 8. */
    int size() {
        return (bytes.position() + 7) / 8 * 8;
    }

    /** Checks the size against the C struct's, in one line naming both. */
    KernelStruct expectSize(int cBytes) {
        if (size() != cBytes) {
            throw new IllegalStateException("engine: cuda: " + name + " is " + size() + " bytes here and " + cBytes + " in the kernels");
        }
        return this;
    }

    /** The struct's bytes. */
    byte[] toBytes() {
        return Arrays.copyOf(bytes.array(), size());
    }
}
