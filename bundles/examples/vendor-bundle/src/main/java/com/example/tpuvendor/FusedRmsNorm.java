package com.example.tpuvendor;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import java.util.Arrays;

/** The op's name, schema and shape rule, shared by its lowering and its decomposition. */
final class FusedRmsNorm {
    static final String OP = "vendor::fused_rms_norm";
    /** As the model's torch.library.define declares it; the TorchScript tracer registers it with libtorch. */
    static final String SCHEMA = OP + "(Tensor x, Tensor weight, float eps) -> Tensor";
    /** The service property under which the TorchScript tracer looks for custom op schemas. */
    static final String SCHEMA_PROPERTY = "torchtpu.op.schema";

    private FusedRmsNorm() {
    }

    /** x: floating point, rank >= 1; weight: the size of x's last dimension. The result is typed like x. */
    static TensorType check(Node node, TensorType x, TensorType weight) {
        if (!x.dtype().isFloatingPoint() || x.rank() < 1) {
            throw new IllegalArgumentException(OP + " needs a floating point x of rank >= 1, got " + x);
        }
        long last = x.shape()[x.rank() - 1];
        if (weight.rank() != 1 || weight.shape()[0] != last) {
            throw new IllegalArgumentException(OP + ": weight must have shape [" + last + "] (x's last dimension), got "
                    + Arrays.toString(weight.shape()));
        }
        if (!(node.floatAttr("eps", 1e-6) >= 0)) {
            throw new IllegalArgumentException(OP + ": eps must be >= 0");
        }
        return x;
    }
}
