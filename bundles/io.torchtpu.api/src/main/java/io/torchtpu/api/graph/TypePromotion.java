package io.torchtpu.api.graph;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * PyTorch's type promotion and broadcasting, in one place (c10 {@code promoteTypes} and ATen
 * {@code result_type}). Operands fall in three priority classes: tensors with dimensions, zero-dimensional
 * tensors, and Python numbers ({@link Scalar}). A lower class only changes the result when it is of a
 * higher category (bool &lt; integer &lt; floating point): {@code int32 tensor + 2.5} is {@code float32} (a float
 * number takes the default dtype), {@code int32 tensor + 2} stays {@code int32}, {@code float16 tensor + float64
 * 0-d tensor} stays {@code float16}.
 */
public final class TypePromotion {
    /** PyTorch's default floating point dtype ({@code torch.get_default_dtype()}). */
    public static final DType DEFAULT_FLOAT = DType.F32;
    /** The dtype of integer numbers and of integer reductions of bools. */
    public static final DType DEFAULT_INT = DType.I64;

    private TypePromotion() {
    }

    /** The type category: 0 bool, 1 integer, 2 floating point. */
    public static int category(DType dtype) {
        return dtype == DType.BOOL ? 0 : dtype.isFloatingPoint() ? 2 : 1;
    }

    public static boolean isIntegral(DType dtype) {
        return category(dtype) == 1;
    }

    public static boolean isSigned(DType dtype) {
        return dtype != DType.BOOL && dtype != DType.U8;
    }

    /** c10's {@code promoteTypes}: the smallest dtype both convert to without losing their category. */
    public static DType promoteTypes(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (a == DType.BOOL) {
            return b;
        }
        if (b == DType.BOOL) {
            return a;
        }
        if (a.isFloatingPoint() || b.isFloatingPoint()) {
            if (!a.isFloatingPoint()) {
                return b;
            }
            if (!b.isFloatingPoint()) {
                return a;
            }
            // f16 and bf16 have no common 16-bit type
            if ((a == DType.F16 && b == DType.BF16) || (a == DType.BF16 && b == DType.F16)) {
                return DType.F32;
            }
            return a.byteSize() >= b.byteSize() ? a : b;
        }
        if (a == DType.U8 || b == DType.U8) {
            DType signed = a == DType.U8 ? b : a;
            // uint8 needs a wider signed type to keep its range: u8 + i8 is i16
            return signed == DType.I8 ? DType.I16 : signed;
        }
        return a.byteSize() >= b.byteSize() ? a : b;
    }

    /** {@code torch.result_type} of tensors (0-d ones rank lower) and Python numbers. */
    public static DType resultType(List<TensorType> tensors, List<Scalar> scalars) {
        DType dimensioned = null;
        DType zeroDim = null;
        DType wrapped = null;
        for (TensorType tensor : tensors) {
            if (tensor.rank() > 0) {
                dimensioned = promoteSkippingNull(dimensioned, tensor.dtype());
            } else {
                zeroDim = promoteSkippingNull(zeroDim, tensor.dtype());
            }
        }
        for (Scalar scalar : scalars) {
            // a Python float takes the default dtype, a Python int int64, a bool bool
            DType dtype = scalar.kind() == Scalar.Kind.FLOAT ? DEFAULT_FLOAT : scalar.dtype();
            wrapped = promoteSkippingNull(wrapped, dtype);
        }
        DType result = combineCategories(dimensioned, combineCategories(zeroDim, wrapped));
        if (result == null) {
            throw new IllegalArgumentException("result_type needs at least one operand");
        }
        return result;
    }

    /** ATen's {@code combine_categories}: the lower class counts only when it is of a higher category. */
    private static DType combineCategories(DType higher, DType lower) {
        if (higher == null) {
            return lower;
        }
        if (lower == null || higher.isFloatingPoint()) {
            return higher;
        }
        if (higher == DType.BOOL || lower.isFloatingPoint()) {
            return promoteTypes(higher, lower);
        }
        return higher;
    }

    private static DType promoteSkippingNull(DType a, DType b) {
        return a == null ? b : promoteTypes(a, b);
    }

    /** NumPy broadcasting of two shapes, aligned at the right; a dimension of 1 stretches. */
    public static long[] broadcastShapes(long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] result = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast: dimension " + i + " is " + da + " and " + db);
            }
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /** The broadcast shape of all the given types. */
    public static long[] broadcastShapes(List<TensorType> types) {
        long[] shape = new long[0];
        for (TensorType type : types) {
            shape = broadcastShapes(shape, type.shape());
        }
        return shape;
    }
}
