package io.torchtpu.api.graph;

import io.torchtpu.api.DType;

/**
 * An ATen {@code Scalar}: a Python bool, int or float. Its {@link #dtype()} is the dtype PyTorch gives the
 * number when it stands alone ({@code bool}, {@code int64}, {@code float64}); in type promotion it only
 * contributes its category, see {@link TypePromotion}.
 */
public record Scalar(Kind kind, long longValue, double doubleValue) {

    /** The Python type of the number. */
    public enum Kind { BOOL, INT, FLOAT }

    public static Scalar of(boolean value) {
        return new Scalar(Kind.BOOL, value ? 1 : 0, value ? 1 : 0);
    }

    public static Scalar of(long value) {
        return new Scalar(Kind.INT, value, value);
    }

    public static Scalar of(double value) {
        return new Scalar(Kind.FLOAT, (long) value, value);
    }

    /** The number as a double (exact for floats and for ints up to 2^53). */
    public double asDouble() {
        return kind == Kind.FLOAT ? doubleValue : longValue;
    }

    public long asLong() {
        return longValue;
    }

    public boolean asBoolean() {
        return kind == Kind.FLOAT ? doubleValue != 0 : longValue != 0;
    }

    /** {@code bool}, {@code int64} or {@code float64}: the dtype of {@code torch.tensor(value)} with float64 as default. */
    public DType dtype() {
        return switch (kind) {
            case BOOL -> DType.BOOL;
            case INT -> DType.I64;
            case FLOAT -> DType.F64;
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case BOOL -> Boolean.toString(longValue != 0);
            case INT -> Long.toString(longValue);
            case FLOAT -> Double.toString(doubleValue);
        };
    }
}
