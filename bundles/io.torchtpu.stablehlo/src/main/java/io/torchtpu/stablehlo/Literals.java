package io.torchtpu.stablehlo;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import java.nio.ByteBuffer;
import java.util.Locale;

/** Exact, deterministic MLIR spellings of numbers and dense data. */
final class Literals {
    private Literals() {
    }

    /** One element of {@code dtype} holding {@code value}, as MLIR writes it inside {@code dense<...>}. */
    static String element(DType dtype, double value) {
        return switch (dtype) {
            case BOOL -> value != 0 ? "true" : "false";
            case F64 -> Double.isFinite(value) ? Double.toString(value) : hex(Double.doubleToRawLongBits(canonical(value)), 16);
            case F32 -> {
                float f = (float) value;
                yield Float.isFinite(f) ? Float.toString(f) : hex(Float.floatToRawIntBits((float) canonical(value)), 8);
            }
            // 16-bit floats as bit patterns: exact, and no parser rounding to trust
            case F16 -> hex(toHalfBits((float) value), 4);
            case BF16 -> hex(toBfloat16Bits((float) value), 4);
            default -> Long.toString(wrap(dtype, integer(dtype, value)));
        };
    }

    /** An integer element written from a long, exact beyond 2^53. */
    static String element(DType dtype, long value) {
        if (dtype.isFloatingPoint()) {
            return element(dtype, (double) value);
        }
        return dtype == DType.BOOL ? (value != 0 ? "true" : "false") : Long.toString(wrap(dtype, value));
    }

    /** An integer cast to a narrower integer type wraps around, as in C and PyTorch ({@code -1} as uint8 is 255). */
    static long wrap(DType dtype, long value) {
        return switch (dtype) {
            case U8 -> value & 0xFF;
            case I8 -> (byte) value;
            case I16 -> (short) value;
            case I32 -> (int) value;
            default -> value;
        };
    }

    private static long integer(DType dtype, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new HloTypeException(value + " is not a " + dtype.stableHloName() + " value");
        }
        return (long) value;
    }

    private static double canonical(double value) {
        return Double.isNaN(value) ? Double.NaN : value;
    }

    private static String hex(long bits, int digits) {
        String text = Long.toHexString(bits).toUpperCase(Locale.ROOT);
        if (text.length() > digits) {
            text = text.substring(text.length() - digits);
        }
        return "0x" + "0".repeat(digits - text.length()) + text;
    }

    /** IEEE binary16 bits of {@code value}, rounded to nearest even. */
    static int toHalfBits(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exponent == 0xFF) {
            return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0);
        }
        int e = exponent - 127 + 15;
        if (e >= 0x1F) {
            return sign | 0x7C00;
        }
        if (e <= 0) {
            if (e < -10) {
                return sign;
            }
            mantissa |= 0x800000;
            int shift = 14 - e;
            int half = mantissa >>> shift;
            int rest = mantissa & ((1 << shift) - 1);
            int midpoint = 1 << (shift - 1);
            if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) {
                half++;
            }
            return sign | half;
        }
        int half = (e << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return sign | half;
    }

    /** bfloat16 bits of {@code value}, rounded to nearest even. */
    static int toBfloat16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return ((bits >>> 16) & 0x8000) | 0x7FC0;
        }
        return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
    }

    /** The data of a host tensor as an MLIR dense literal body: a hex blob, or a list for bool. */
    static String dense(HostTensor tensor) {
        ByteBuffer data = tensor.data();
        if (tensor.type().elementCount() == 0) {
            // a nested list cannot spell a leading 0 dimension; a splat of no elements can
            return element(tensor.type().dtype(), 0.0);
        }
        if (tensor.type().dtype() == DType.BOOL) {
            StringBuilder text = new StringBuilder();
            nested(text, tensor.type().shape(), 0, data);
            return text.toString();
        }
        StringBuilder text = new StringBuilder("\"0x");
        while (data.hasRemaining()) {
            int b = data.get() & 0xFF;
            text.append(Character.toUpperCase(Character.forDigit(b >>> 4, 16)))
                    .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
        }
        return text.append('"').toString();
    }

    private static void nested(StringBuilder text, long[] shape, int axis, ByteBuffer data) {
        if (axis == shape.length) {
            text.append(data.get() != 0 ? "true" : "false");
            return;
        }
        text.append('[');
        for (long i = 0; i < shape[axis]; i++) {
            if (i > 0) {
                text.append(", ");
            }
            nested(text, shape, axis + 1, data);
        }
        text.append(']');
    }
}
