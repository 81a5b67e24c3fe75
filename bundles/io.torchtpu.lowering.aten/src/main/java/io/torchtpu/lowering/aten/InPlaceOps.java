package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenDecomposition.decompose;

import io.torchtpu.api.DType;
import io.torchtpu.api.graph.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * In-place ops that traced graphs keep ({@code relu_}, {@code add_.Tensor} ...), decomposed into their functional
 * form. The program has no aliasing, so the node's output is the new value of {@code self}; a tracer points later
 * readers of {@code self} at that output. As in PyTorch the result keeps self's shape and dtype: it is cast back to
 * self's dtype where PyTorch may cast, and refused where it may not (a float result into an integer self).
 */
final class InPlaceOps {
    private InPlaceOps() {
    }

    /** PyTorch's canCast for in-place results: never float into an integer or bool, never a number into bool. */
    private static boolean canCast(DType from, DType to) {
        if (from.isFloatingPoint() && !to.isFloatingPoint()) {
            return false;
        }
        return from == DType.BOOL || to != DType.BOOL;
    }

    private static AtenDecomposition inPlace(String inPlaceOp, String functionalOp) {
        return decompose(inPlaceOp, (n, c) -> {
            Value self = n.input(0);
            Value result = c.emit(functionalOp, n.inputs(), n.attributes());
            if (!Arrays.equals(result.type().shape(), self.type().shape())) {
                throw new IllegalArgumentException(inPlaceOp + ": the result " + result.type() + " does not fit self " + self.type()
                        + " in place (broadcasting may not grow self; use " + functionalOp + ")");
            }
            DType target = self.type().dtype();
            if (result.type().dtype() == target) {
                return List.of(result);
            }
            if (!canCast(result.type().dtype(), target)) {
                throw new IllegalArgumentException(inPlaceOp + ": the result type " + result.type().dtype() + " cannot be cast to self's "
                        + target + " in place (use " + functionalOp + ")");
            }
            return List.of(c.emit("aten::_to_copy", List.of(result), Map.of("dtype", target)));
        });
    }

    static final AtenDecomposition RELU_ = inPlace("aten::relu_", "aten::relu");
    static final AtenDecomposition HARDTANH_ = inPlace("aten::hardtanh_", "aten::hardtanh");
    static final AtenDecomposition SIGMOID_ = inPlace("aten::sigmoid_", "aten::sigmoid");
    static final AtenDecomposition TANH_ = inPlace("aten::tanh_", "aten::tanh");
    static final AtenDecomposition SILU_ = inPlace("aten::silu_", "aten::silu");
    static final AtenDecomposition GELU_ = inPlace("aten::gelu_", "aten::gelu");
    static final AtenDecomposition LEAKY_RELU_ = inPlace("aten::leaky_relu_", "aten::leaky_relu");
    static final AtenDecomposition ELU_ = inPlace("aten::elu_", "aten::elu");
    static final AtenDecomposition HARDSIGMOID_ = inPlace("aten::hardsigmoid_", "aten::hardsigmoid");
    static final AtenDecomposition HARDSWISH_ = inPlace("aten::hardswish_", "aten::hardswish");
    static final AtenDecomposition CLAMP_ = inPlace("aten::clamp_", "aten::clamp");
    static final AtenDecomposition DROPOUT_ = inPlace("aten::dropout_", "aten::dropout");
    static final AtenDecomposition ADD_TENSOR_ = inPlace("aten::add_.Tensor", "aten::add.Tensor");
    static final AtenDecomposition ADD_SCALAR_ = inPlace("aten::add_.Scalar", "aten::add.Scalar");
    static final AtenDecomposition SUB_TENSOR_ = inPlace("aten::sub_.Tensor", "aten::sub.Tensor");
    static final AtenDecomposition SUB_SCALAR_ = inPlace("aten::sub_.Scalar", "aten::sub.Scalar");
    static final AtenDecomposition MUL_TENSOR_ = inPlace("aten::mul_.Tensor", "aten::mul.Tensor");
    static final AtenDecomposition MUL_SCALAR_ = inPlace("aten::mul_.Scalar", "aten::mul.Scalar");
    static final AtenDecomposition DIV_TENSOR_ = inPlace("aten::div_.Tensor", "aten::div.Tensor");
    static final AtenDecomposition DIV_SCALAR_ = inPlace("aten::div_.Scalar", "aten::div.Scalar");
}
