package io.torchtpu.lowering.aten;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Meta functions and small shape helpers the families share. */
final class Metas {
    private Metas() {
    }

    /** Elementwise: the broadcast shape of the prepared operands, in the rule's result dtype. */
    static final AtenOp.Meta ELEMENTWISE = (node, prepared) ->
            List.of(TensorType.of(prepared.resultType(), prepared.operandTypes().get(0).shape()));

    /** The first input's type, unchanged. */
    static final AtenOp.Meta SAME_AS_INPUT = (node, prepared) -> List.of(node.input(0).type());

    /** A dimension index in range, from PyTorch's possibly negative one; rank 0 accepts 0 and -1 as PyTorch does. */
    static int dim(long dim, int rank) {
        int effective = Math.max(rank, 1);
        if (dim < -effective || dim >= effective) {
            throw new IllegalArgumentException("dimension " + dim + " is out of range for a tensor of rank " + rank);
        }
        return (int) (dim < 0 ? dim + effective : dim);
    }

    /** Sorted distinct dims of an {@code int[]? dim} attribute; absent or empty means every dimension. */
    static long[] dims(Node node, String name, int rank) {
        List<Long> given = node.has(name) ? node.intsAttr(name) : List.of();
        if (given.isEmpty()) {
            long[] all = new long[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
        return given.stream().mapToLong(d -> dim(d, rank)).distinct().sorted().toArray();
    }

    /** The shape after reducing {@code dims}: removed, or kept as 1. */
    static long[] reducedShape(long[] shape, long[] dims, boolean keepdim) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            final long axis = i;
            boolean reduced = Arrays.stream(dims).anyMatch(d -> d == axis);
            if (!reduced) {
                out.add(shape[i]);
            } else if (keepdim) {
                out.add(1L);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static long[] longs(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** f16 and bf16 compute in f32, as PyTorch's CPU kernels do (its "opmath" type); other dtypes as they are. */
    static HloValue upcast(FunctionBuilder b, HloValue x) {
        return x.dtype() == DType.F16 || x.dtype() == DType.BF16 ? b.convert(x, DType.F32) : x;
    }

    static TensorType withDtype(TensorType type, DType dtype) {
        return TensorType.of(dtype, type.shape());
    }
}
