package com.example.tpuvendor;

import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.DecompositionContext;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;

/**
 * The fallback: {@code vendor::fused_rms_norm} rewritten into Core ATen ops (mul, mean.dim, add.Scalar, rsqrt, mul),
 * which every backend lowers. A decomposition wins over a lowering of the same op, so it only runs where an operator
 * asks for it: a configuration of the pid {@value #PID}, whose {@code torchtpu.backend} property (a service property
 * of this component, as every configuration property is) limits it to that backend; without a
 * {@code torchtpu.backend} it applies everywhere.
 */
@Component(service = Decomposition.class, configurationPid = FusedRmsNormDecomposition.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = {"torchtpu.op=" + FusedRmsNorm.OP,
            "service.ranking:Integer=0"})
public final class FusedRmsNormDecomposition implements Decomposition {
    static final String PID = "com.example.tpuvendor.fused_rms_norm.decomposition";

    @Override
    public List<Value> decompose(Node node, DecompositionContext c) {
        Value x = node.input(0);
        Value weight = node.input(1);
        FusedRmsNorm.check(node, x.type(), weight.type());
        double eps = node.floatAttr("eps", 1e-6);
        Value squares = c.emit("aten::mul.Tensor", List.of(x, x), Map.of());
        Value mean = c.emit("aten::mean.dim", List.of(squares), Map.of("dim", new long[] {x.type().rank() - 1}, "keepdim", true));
        Value inverse = c.emit("aten::rsqrt", List.of(c.emit("aten::add.Scalar", List.of(mean),
                Map.of("other", Scalar.of(eps), "alpha", Scalar.of(1)))), Map.of());
        Value normalized = c.emit("aten::mul.Tensor", List.of(x, inverse), Map.of());
        return List.of(c.emit("aten::mul.Tensor", List.of(normalized, weight), Map.of()));
    }
}
