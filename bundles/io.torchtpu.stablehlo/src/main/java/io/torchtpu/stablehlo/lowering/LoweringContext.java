package io.torchtpu.stablehlo.lowering;

import io.torchtpu.api.DType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import java.util.List;
import java.util.Map;

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

    /**
     * Emits a {@code stablehlo.composite} named {@code name} over {@code operands} (see {@link
     * FunctionBuilder#composite}): {@code decomposition} writes the composite's private decomposition function, given
     * a context like this one whose {@link #builder()} is that function's, and the function's arguments (one per
     * operand).
     *
     * @return the composite's results, one per value the decomposition returns
     */
    default List<HloValue> composite(String name, List<HloValue> operands, Map<String, String> attributes, int version,
            Decomposition decomposition) {
        LoweringContext outer = this;
        return builder().composite(name, operands, attributes, version, (function, arguments) ->
                decomposition.emit(new LoweringContext() {
                    @Override
                    public FunctionBuilder builder() {
                        return function;
                    }

                    @Override
                    public OperandRule.Prepared prepared() {
                        return outer.prepared();
                    }

                    @Override
                    public String backend() {
                        return outer.backend();
                    }

                    @Override
                    public Node node() {
                        return outer.node();
                    }
                }, arguments));
    }

    /** Writes a composite's decomposition: gets the decomposition function's context and arguments, returns its results. */
    @FunctionalInterface
    interface Decomposition {
        List<HloValue> emit(LoweringContext context, List<HloValue> arguments);
    }
}
