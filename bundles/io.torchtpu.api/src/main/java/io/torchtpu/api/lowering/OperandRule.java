package io.torchtpu.api.lowering;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.api.graph.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the lowerer does to a node's operands before it calls the lowering: the one place where type
 * promotion, broadcasting and scalar-to-tensor conversion happen. With {@link #AS_IS} the lowering gets the
 * node's inputs unchanged. With an elementwise rule, the lowering gets every tensor input and then every named
 * scalar attribute that is present, all converted to the computation dtype and broadcast to one shape; so a
 * lowering of {@code add} is one {@code stablehlo.add}.
 *
 * @param promotion null for {@link #AS_IS}
 * @param scalarOperands attributes (such as {@code other} of {@code aten::add.Scalar}) that take part in promotion
 *     and become tensor operands after the tensor inputs
 * @param keepDtypeInputs indices of tensor inputs that are broadcast but keep their dtype (the condition of {@code where})
 */
public record OperandRule(Promotion promotion, List<String> scalarOperands, List<Integer> keepDtypeInputs) {
    public static final OperandRule AS_IS = new OperandRule(null, List.of(), List.of());

    public OperandRule {
        scalarOperands = List.copyOf(scalarOperands);
        keepDtypeInputs = List.copyOf(keepDtypeInputs);
    }

    public static OperandRule elementwise(Promotion promotion, String... scalarOperands) {
        return new OperandRule(Objects.requireNonNull(promotion), List.of(scalarOperands), List.of());
    }

    public OperandRule keepingDtypeOf(Integer... inputIndices) {
        return new OperandRule(promotion, scalarOperands, List.of(inputIndices));
    }

    public boolean isElementwise() {
        return promotion != null;
    }

    /**
     * The operands a lowering of {@code node} gets, as types.
     *
     * @param computeType the dtype operands are converted to (null for AS_IS)
     * @param resultType the dtype of the elementwise result (null for AS_IS)
     * @param scalars the scalar operands, in the order they follow the tensor inputs
     */
    public record Prepared(List<TensorType> operandTypes, DType computeType, DType resultType, List<Scalar> scalars) {
        public Prepared {
            operandTypes = List.copyOf(operandTypes);
            scalars = List.copyOf(scalars);
        }
    }

    public Prepared prepare(Node node) {
        List<TensorType> inputTypes = node.inputs().stream().map(Value::type).toList();
        if (!isElementwise()) {
            return new Prepared(inputTypes, null, null, List.of());
        }
        List<Scalar> scalars = new ArrayList<>();
        for (String name : scalarOperands) {
            if (node.has(name)) {
                scalars.add(node.scalarAttr(name));
            }
        }
        List<TensorType> promoted = new ArrayList<>();
        for (int i = 0; i < inputTypes.size(); i++) {
            if (!keepDtypeInputs.contains(i)) {
                promoted.add(inputTypes.get(i));
            }
        }
        DType common = TypePromotion.resultType(promoted, scalars);
        DType compute = promotion == Promotion.INT_TO_FLOAT && !common.isFloatingPoint() ? TypePromotion.DEFAULT_FLOAT : common;
        DType result = switch (promotion) {
            case ALWAYS_BOOL -> DType.BOOL;
            case BOOL_TO_LONG -> compute == DType.BOOL ? DType.I64 : compute;
            default -> compute;
        };
        long[] shape = TypePromotion.broadcastShapes(inputTypes);
        List<TensorType> operands = new ArrayList<>();
        for (int i = 0; i < inputTypes.size(); i++) {
            operands.add(TensorType.of(keepDtypeInputs.contains(i) ? inputTypes.get(i).dtype() : compute, shape));
        }
        for (int i = 0; i < scalars.size(); i++) {
            operands.add(TensorType.of(compute, shape));
        }
        return new Prepared(operands, compute, result, scalars);
    }
}
