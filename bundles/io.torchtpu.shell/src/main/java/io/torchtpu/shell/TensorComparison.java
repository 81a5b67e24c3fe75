package io.torchtpu.shell;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import java.nio.ByteBuffer;

/**
 * How far a computed tensor is from a reference: the largest absolute difference, and that difference
 * relative to the reference's largest magnitude (so that elements near zero do not dominate).
 *
 * @param maxAbsolute largest |actual - expected|; NaN where one side has a NaN the other has not
 * @param maxRelative maxAbsolute over the largest |expected| (or over 1 when that is 0)
 */
record TensorComparison(double maxAbsolute, double maxRelative, boolean shapesMatch) {

    /** The relative error each dtype is held to. */
    static double tolerance(DType dtype) {
        return switch (dtype) {
            case F64 -> 1e-7;
            case F32 -> 1e-4;
            case F16, BF16 -> 1e-2;
            default -> 0;
        };
    }

    boolean passes(DType dtype) {
        return shapesMatch && maxRelative <= tolerance(dtype);
    }

    static TensorComparison of(HostTensor actual, HostTensor expected) {
        if (!actual.type().equals(expected.type())) {
            return new TensorComparison(Double.NaN, Double.NaN, false);
        }
        ByteBuffer a = actual.data();
        ByteBuffer e = expected.data();
        DType dtype = actual.type().dtype();
        long count = actual.type().elementCount();
        double maxAbsolute = 0;
        double maxMagnitude = 0;
        for (int i = 0; i < count; i++) {
            double x = element(a, dtype, i);
            double y = element(e, dtype, i);
            if (Double.isNaN(x) || Double.isNaN(y)) {
                if (Double.isNaN(x) != Double.isNaN(y)) {
                    maxAbsolute = Double.NaN;
                }
                continue;
            }
            if (Double.isInfinite(x) || Double.isInfinite(y)) {
                if (x != y) {
                    maxAbsolute = Double.POSITIVE_INFINITY;
                }
                continue;
            }
            if (!Double.isNaN(maxAbsolute)) {
                maxAbsolute = Math.max(maxAbsolute, Math.abs(x - y));
            }
            maxMagnitude = Math.max(maxMagnitude, Math.abs(y));
        }
        double relative = maxAbsolute / (maxMagnitude == 0 ? 1 : maxMagnitude);
        return new TensorComparison(maxAbsolute, relative, true);
    }

    static double element(ByteBuffer data, DType dtype, int index) {
        return switch (dtype) {
            case F64 -> data.getDouble(index * 8);
            case F32 -> data.getFloat(index * 4);
            case F16 -> halfToFloat(data.getShort(index * 2));
            case BF16 -> Float.intBitsToFloat((data.getShort(index * 2) & 0xffff) << 16);
            case I64 -> data.getLong(index * 8);
            case I32 -> data.getInt(index * 4);
            case I16 -> data.getShort(index * 2);
            case I8 -> data.get(index);
            case U8 -> data.get(index) & 0xff;
            case BOOL -> data.get(index) != 0 ? 1 : 0;
        };
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
