package io.torchtpu.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A dense, row-major tensor in host memory: a type and a little-endian buffer of exactly
 * {@code type.byteSize()} bytes. Direct buffers cross to native code without a copy.
 */
public final class HostTensor {
    private final TensorType type;
    private final ByteBuffer data;

    private HostTensor(TensorType type, ByteBuffer data) {
        this.type = Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (data.remaining() != type.byteSize()) {
            throw new IllegalArgumentException("a " + type + " needs " + type.byteSize() + " bytes, the buffer holds "
                    + data.remaining());
        }
        this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Wraps {@code data} (its remaining bytes) without copying. */
    public static HostTensor wrap(TensorType type, ByteBuffer data) {
        return new HostTensor(type, data);
    }

    /** Device runtimes can read host memory in place when it is aligned to this many bytes. */
    public static final int ALIGNMENT = 64;

    /** A new zero-filled tensor in a direct buffer aligned to {@value #ALIGNMENT} bytes. */
    public static HostTensor allocate(TensorType type) {
        int size = Math.toIntExact(type.byteSize());
        // alignedSlice rounds both ends inwards: room for a whole number of aligned blocks, then cut to size
        int blocks = Math.toIntExact(((long) size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
        ByteBuffer aligned = ByteBuffer.allocateDirect(blocks + ALIGNMENT - 1).alignedSlice(ALIGNMENT);
        return new HostTensor(type, aligned.limit(size));
    }

    public static HostTensor ofFloats(float[] values, long... shape) {
        HostTensor tensor = allocate(TensorType.of(DType.F32, shape));
        tensor.data.asFloatBuffer().put(values);
        return tensor;
    }

    public TensorType type() {
        return type;
    }

    /** A little-endian view of the bytes, positioned at zero. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The elements of an f32 tensor, copied into an array. */
    public float[] toFloatArray() {
        if (type.dtype() != DType.F32) {
            throw new IllegalStateException("toFloatArray needs an f32 tensor, this one is " + type);
        }
        float[] values = new float[Math.toIntExact(type.elementCount())];
        data().asFloatBuffer().get(values);
        return values;
    }

    @Override
    public String toString() {
        return "HostTensor" + type;
    }
}
