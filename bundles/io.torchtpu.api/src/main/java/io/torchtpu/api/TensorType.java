package io.torchtpu.api;

import java.util.Arrays;
import java.util.Objects;

/** A statically shaped tensor type: element type and dimensions (row-major). */
public final class TensorType {
    private final DType dtype;
    private final long[] shape;

    private TensorType(DType dtype, long[] shape) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        for (int i = 0; i < this.shape.length; i++) {
            if (this.shape[i] < 0) {
                throw new IllegalArgumentException("dimension " + i + " of " + Arrays.toString(shape) + " is negative");
            }
        }
    }

    public static TensorType of(DType dtype, long... shape) {
        return new TensorType(dtype, shape);
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the dimensions. */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public long elementCount() {
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        return count;
    }

    public long byteSize() {
        return Math.multiplyExact(elementCount(), dtype.byteSize());
    }

    /** The StableHLO spelling, such as {@code tensor<2x3xf32>}. */
    public String toStableHlo() {
        StringBuilder text = new StringBuilder("tensor<");
        for (long d : shape) {
            text.append(d).append('x');
        }
        return text.append(dtype.stableHloName()).append('>').toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorType that && dtype == that.dtype && Arrays.equals(shape, that.shape);
    }

    @Override
    public int hashCode() {
        return 31 * dtype.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return toStableHlo();
    }
}
