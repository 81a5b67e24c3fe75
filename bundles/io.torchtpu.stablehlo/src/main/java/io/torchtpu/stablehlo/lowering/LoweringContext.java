package io.torchtpu.stablehlo.lowering;

import io.torchtpu.api.DType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;

/** What the lowerer hands a lowering for one node: the builder to emit with and the node's prepared operand facts. */
public interface LoweringContext {

    /** The function being built; emit the node's ops with it. */
    FunctionBuilder builder();

    /** The prepared operands' types, compute and result dtypes. */
    OperandRule.Prepared prepared();

    /** The backend id the graph is lowered for, or null. */
    String backend();

    /** The node being lowered (also passed to {@link OpLowering#lower}). */
    Node node();

    /** A tensor shaped like {@code like}, of dtype {@code dtype}, filled with {@code value}. */
    default HloValue fill(HloValue like, DType dtype, double value) {
        return builder().constant(io.torchtpu.api.TensorType.of(dtype, like.shape()), value);
    }

    /** A tensor shaped and typed like {@code like}, filled with {@code value}. */
    default HloValue fill(HloValue like, double value) {
        return fill(like, like.dtype(), value);
    }

    /** A tensor shaped and typed like {@code like} holding a scalar attribute's value (exact for 64-bit ints). */
    default HloValue fill(HloValue like, Scalar value) {
        return value.kind() == Scalar.Kind.FLOAT || like.dtype().isFloatingPoint()
                ? fill(like, like.dtype(), value.asDouble())
                : builder().constant(like.type(), value.asLong());
    }
}
