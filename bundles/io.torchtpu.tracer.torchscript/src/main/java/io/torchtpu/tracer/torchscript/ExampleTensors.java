package io.torchtpu.tracer.torchscript;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/** Seeded example inputs: floats in [-1, 1), integers and booleans zero (a safe index for embeddings and gathers). */
final class ExampleTensors {
    private ExampleTensors() {
    }

    static HostTensor seeded(TensorType type, long seed) {
        HostTensor tensor = HostTensor.allocate(type);
        if (!type.dtype().isFloatingPoint()) {
            return tensor;
        }
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer data = tensor.data();
        long count = type.elementCount();
        for (long i = 0; i < count; i++) {
            float value = (float) (random.nextDouble() * 2 - 1);
            switch (type.dtype()) {
                case F64 -> data.putDouble(value);
                case F32 -> data.putFloat(value);
                case F16 -> data.putShort(half(value));
                case BF16 -> data.putShort((short) (Float.floatToIntBits(value) >>> 16));
                default -> throw new IllegalStateException(type.toString());
            }
        }
        return tensor;
    }

    /** Float to IEEE half, truncating; enough for values in [-1, 1). */
    private static short half(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
        if (exponent <= 0) {
            return (short) sign;
        }
        return (short) (sign | exponent << 10 | (bits >>> 13) & 0x3FF);
    }
}
