package io.torchtpu.stablehlo.lowering;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.lowering.Lowering;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.stablehlo.HloValue;
import java.util.List;

/**
 * Lowers one ATen op (or a few overloads of one op) to StableHLO. Published as a service with
 * {@link Lowering#OP_PROPERTY} naming the overload(s), optionally {@link Lowering#BACKEND_PROPERTY}, and
 * {@code service.ranking}: per op (and backend) the highest ranking wins.
 *
 * <p>The lowerer calls the three parts in order, for every node of a graph: {@link #operandRule()} decides
 * how the node's operands are promoted and broadcast (so a lowering never re-decides type promotion);
 * {@link #inferTypes} (the op's "meta" function) types the outputs from the prepared operands, for the whole
 * graph before anything is emitted, so shape errors name the node early; {@link #lower} emits the ops.
 */
public interface OpLowering {

    /** How the lowerer prepares operands before {@link #inferTypes} and {@link #lower}; {@link OperandRule#AS_IS} by default. */
    default OperandRule operandRule() {
        return OperandRule.AS_IS;
    }

    /**
     * The output types of {@code node} given the prepared operand types.
     *
     * @throws IllegalArgumentException when the operands or attributes do not fit the op, saying why
     */
    List<TensorType> inferTypes(Node node, OperandRule.Prepared operands);

    /**
     * Emits the op.
     *
     * @param operands the prepared operands: for an elementwise rule, every tensor input and then every present
     *     scalar operand, converted and broadcast; for {@link OperandRule#AS_IS} the node's inputs
     * @return one value per node output, of the types {@link #inferTypes} gave
     */
    List<HloValue> lower(LoweringContext context, Node node, List<HloValue> operands);
}
