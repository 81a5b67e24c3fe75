package io.torchtpu.lowering.aten;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.api.lowering.Promotion;
import io.torchtpu.stablehlo.HloValue;
import io.torchtpu.stablehlo.lowering.LoweringContext;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.List;

/**
 * One op's lowering, declared where its code is: the overloads it covers, its operand rule, its meta function
 * and its emission. A family file holds one {@code static final AtenOp} field per op; {@link Families} finds
 * them and {@link AtenLoweringsComponent} publishes each as its own {@link OpLowering} service.
 */
final class AtenOp implements OpLowering {

    /** The meta function: output types from the prepared operands. */
    @FunctionalInterface
    interface Meta {
        List<TensorType> infer(Node node, OperandRule.Prepared operands);
    }

    /** The emission of an op with one output. */
    @FunctionalInterface
    interface Emit {
        HloValue emit(LoweringContext context, Node node, List<HloValue> operands);
    }

    /** The emission of an op with several outputs. */
    @FunctionalInterface
    interface EmitAll {
        List<HloValue> emit(LoweringContext context, Node node, List<HloValue> operands);
    }

    private final List<String> ops;
    private final OperandRule rule;
    private final Meta meta;
    private final EmitAll emit;

    private AtenOp(List<String> ops, OperandRule rule, Meta meta, EmitAll emit) {
        this.ops = List.copyOf(ops);
        this.rule = rule;
        this.meta = meta;
        this.emit = emit;
    }

    /** Starts the declaration of the overloads {@code ops}. */
    static Declaration op(String... ops) {
        return new Declaration(List.of(ops), OperandRule.AS_IS, null);
    }

    /** The fluent declaration: operand rule and meta first, emission last. */
    record Declaration(List<String> ops, OperandRule rule, Meta meta) {
        /** Elementwise: operands promoted and broadcast; the result has the operands' shape and the rule's result dtype. */
        Declaration elementwise(Promotion promotion, String... scalarOperands) {
            return new Declaration(ops, OperandRule.elementwise(promotion, scalarOperands), Metas.ELEMENTWISE);
        }

        Declaration rule(OperandRule operandRule) {
            return new Declaration(ops, operandRule, meta);
        }

        Declaration meta(Meta metaFunction) {
            return new Declaration(ops, rule, metaFunction);
        }

        AtenOp lower(Emit emit) {
            return lowerAll((c, n, x) -> List.of(emit.emit(c, n, x)));
        }

        AtenOp lowerAll(EmitAll emit) {
            if (meta == null) {
                throw new IllegalStateException(ops + " declares no meta function");
            }
            return new AtenOp(ops, rule, meta, emit);
        }
    }

    List<String> ops() {
        return ops;
    }

    @Override
    public OperandRule operandRule() {
        return rule;
    }

    @Override
    public List<TensorType> inferTypes(Node node, OperandRule.Prepared operands) {
        return meta.infer(node, operands);
    }

    @Override
    public List<HloValue> lower(LoweringContext context, Node node, List<HloValue> operands) {
        return emit.emit(context, node, operands);
    }

    @Override
    public String toString() {
        return "AtenOp" + ops;
    }
}
