package io.torchtpu.runtime.pjrt;

import java.util.Arrays;
import java.util.Objects;

/**
 * An array type: element type and dimensions (major to minor). A dimension of -1 means
 * unknown (dynamic); such a dimension matches any size.
 */
public record TensorSpec(PjrtElementType elementType, long[] dims) {

  public TensorSpec {
    Objects.requireNonNull(elementType, "elementType");
    dims = dims.clone();
    for (long d : dims) {
      if (d < -1) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
    }
  }

  public static TensorSpec of(PjrtElementType type, long... dims) {
    return new TensorSpec(type, dims);
  }

  @Override
  public long[] dims() {
    return dims.clone();
  }

  public int rank() {
    return dims.length;
  }

  /** Number of elements, or -1 if a dimension is unknown. */
  public long elementCount() {
    long n = 1;
    for (long d : dims) {
      if (d < 0) return -1;
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Size of the dense row-major host representation, or -1 if a dimension is unknown. */
  public long hostByteSize() {
    long n = elementCount();
    return n < 0 ? -1 : Math.multiplyExact(n, elementType.hostByteSize());
  }

  /** True if {@code other} has the same element type and every known dimension agrees. */
  public boolean accepts(TensorSpec other) {
    if (elementType != other.elementType || dims.length != other.dims.length) return false;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] >= 0 && other.dims[i] >= 0 && dims[i] != other.dims[i]) return false;
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t && t.elementType == elementType && Arrays.equals(t.dims, dims);
  }

  @Override
  public int hashCode() {
    return elementType.hashCode() * 31 + Arrays.hashCode(dims);
  }

  /** StableHLO spelling, e.g. {@code tensor<2x3xf32>}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("tensor<");
    for (long d : dims) b.append(d < 0 ? "?" : Long.toString(d)).append('x');
    return b.append(elementType.mlirName() != null ? elementType.mlirName() : elementType.name()).append('>').toString();
  }
}
