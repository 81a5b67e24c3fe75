package io.torchtpu.examples.vendor.gelu;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.api.lowering.Promotion;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import io.torchtpu.stablehlo.lowering.LoweringContext;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * GELU as hardware with a fast logistic unit likes it: x * sigmoid(1.702 x), for both approximations. Ranked
 * 100, above the core lowering's 0, so every graph compiled while this bundle runs uses it; uninstalling the
 * bundle brings the core lowering back. Its results differ from PyTorch's exact GELU by up to about 0.02,
 * which is how the hot-plug test tells the two apart.
 */
@Component(service = OpLowering.class, property = {"torchtpu.op=aten::gelu", "service.ranking:Integer=100"})
public final class SigmoidGeluLowering implements OpLowering {
    private static final double SIGMOID_SCALE = 1.702;

    /** Integer inputs become the default float, and the result has the operand's shape: the lowerer does that work. */
    @Override
    public OperandRule operandRule() {
        return OperandRule.elementwise(Promotion.INT_TO_FLOAT);
    }

    @Override
    public List<TensorType> inferTypes(Node node, OperandRule.Prepared operands) {
        return List.of(TensorType.of(operands.resultType(), operands.operandTypes().get(0).shape()));
    }

    @Override
    public List<HloValue> lower(LoweringContext context, Node node, List<HloValue> operands) {
        FunctionBuilder b = context.builder();
        HloValue x = operands.get(0);
        return List.of(b.multiply(x, b.logistic(b.multiply(x, context.fill(x, SIGMOID_SCALE)))));
    }
}
