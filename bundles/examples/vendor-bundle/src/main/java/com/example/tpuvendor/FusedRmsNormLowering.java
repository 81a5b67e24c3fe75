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
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * {@code vendor::fused_rms_norm(x, weight, eps) = x * rsqrt(mean(x^2, last dim) + eps) * weight}, lowered to a
 * {@code stablehlo.composite "vendor.fused_rms_norm"} (attribute {@code eps}, version 1) whose decomposition function
 * holds the plain StableHLO: one reduce over the last dimension, accumulated in f32 for half-precision inputs. A
 * backend that knows {@code vendor.fused_rms_norm} can take a fused kernel; any other inlines the decomposition. The
 * service also carries the op's schema ({@value FusedRmsNorm#SCHEMA_PROPERTY}), which lets libtorch load TorchScript
 * that calls it. The graph-level fallback, for backends that should not see the op at all, is {@link
 * FusedRmsNormDecomposition}.
 */
@Component(service = OpLowering.class, property = {"torchtpu.op=" + FusedRmsNorm.OP,
    FusedRmsNorm.SCHEMA_PROPERTY + "=" + FusedRmsNorm.SCHEMA, "service.ranking:Integer=0"})
public final class FusedRmsNormLowering implements OpLowering {
    /** The composite's name, which a backend with a fused kernel matches. */
    public static final String COMPOSITE = "vendor.fused_rms_norm";
    /** The composite's version. */
    public static final int VERSION = 1;

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
        double eps = node.floatAttr("eps", 1e-6);
        return context.composite(COMPOSITE, operands, Map.of("eps", FunctionBuilder.attribute(DType.F32, eps)), VERSION,
                (decomposition, arguments) -> List.of(decompose(decomposition, arguments.get(0), arguments.get(1), eps)));
    }

    /** The composite's decomposition, written into its private function. */
    private static HloValue decompose(LoweringContext context, HloValue x, HloValue weight, double eps) {
        FunctionBuilder b = context.builder();
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
                context.fill(sumOfSquares, eps));
        HloValue scale = b.broadcastInDim(b.rsqrt(meanPlusEps), shape, kept);
        HloValue y = b.multiply(b.multiply(xc, scale), b.broadcastInDim(wc, shape, new long[] {last}));
        return y.dtype() == x.dtype() ? y : b.convert(y, x.dtype());
    }
}
