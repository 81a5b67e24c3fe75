package io.torchtpu.api.lowering;

import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Value;
import java.util.List;

/**
 * Rewrites one node into other ATen nodes, for ops that are best expressed by simpler ones
 * ({@code aten::linear} as {@code t} and {@code addmm}). Published as a service with {@link Lowering#OP_PROPERTY}
 * (optionally {@link Lowering#BACKEND_PROPERTY} and {@code service.ranking}); the lowerer applies
 * decompositions before lowering, repeatedly, so a decomposition may emit ops that decompose further.
 * A decomposition wins over an {@code OpLowering} of the same op.
 */
@FunctionalInterface
public interface Decomposition {

    /**
     * @param node the node to replace
     * @param context emits the replacement nodes, typed by the lowerer's type inference
     * @return the values that replace {@code node.outputs()}, with the same types, in the same order
     */
    List<Value> decompose(Node node, DecompositionContext context);
}
