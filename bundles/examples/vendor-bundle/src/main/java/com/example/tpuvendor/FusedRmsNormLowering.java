package com.example.tpuvendor;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import io.torchtpu.stablehlo.lowering.LoweringContext;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * {@code vendor::fused_rms_norm(x, weight, eps) = x * rsqrt(mean(x^2, last dim) + eps) * weight}, lowered straight
 * to StableHLO: one reduce over the last dimension, accumulated in f32 for half-precision inputs. The service also
 * carries the op's schema ({@value FusedRmsNorm#SCHEMA_PROPERTY}), which lets libtorch load TorchScript that calls it.
 *
 * <p>Not a {@code stablehlo.composite}: a lowering emits into the one function the lowerer builds, and the builder
 * (io.torchtpu.stablehlo 0.1) can neither emit a composite nor add the private decomposition function a composite
 * names. With a composite, a backend that knows {@code vendor.fused_rms_norm} would take the fused kernel and any
 * other would inline the decomposition; here the fallback lives at the graph level instead ({@link
 * FusedRmsNormDecomposition}).
 */
@Component(service = OpLowering.class, property = {"torchtpu.op=" + FusedRmsNorm.OP,
    FusedRmsNorm.SCHEMA_PROPERTY + "=" + FusedRmsNorm.SCHEMA, "service.ranking:Integer=0"})
public final class FusedRmsNormLowering implements OpLowering {

    @Override
    public OperandRule operandRule() {
        return OperandRule.AS_IS;
    }

    @Override
    public List<TensorType> inferTypes(Node node, OperandRule.Prepared operands) {
        return List.of(FusedRmsNorm.check(node, operands.operandTypes().get(0), operands.operandTypes().get(1)));
    }

    @Override
    public List<HloValue> lower(LoweringContext context, Node node, List<HloValue> operands) {
        FunctionBuilder b = context.builder();
        HloValue x = operands.get(0);
        HloValue weight = operands.get(1);
        DType compute = x.dtype() == DType.F64 ? DType.F64 : DType.F32;
        HloValue xc = x.dtype() == compute ? x : b.convert(x, compute);
        HloValue wc = weight.dtype() == compute ? weight : b.convert(weight, compute);
        int last = x.rank() - 1;
        long[] shape = x.shape();
        long[] kept = new long[last];
        for (int i = 0; i < last; i++) {
            kept[i] = i;
        }
        HloValue sumOfSquares = b.reduce(b.multiply(xc, xc), b.scalar(compute, 0), new long[] {last}, b::add);
        HloValue meanPlusEps = b.add(b.divide(sumOfSquares, context.fill(sumOfSquares, shape[last])),
                context.fill(sumOfSquares, node.floatAttr("eps", 1e-6)));
        HloValue scale = b.broadcastInDim(b.rsqrt(meanPlusEps), shape, kept);
        HloValue y = b.multiply(b.multiply(xc, scale), b.broadcastInDim(wc, shape, new long[] {last}));
        return List.of(y.dtype() == x.dtype() ? y : b.convert(y, x.dtype()));
    }
}
