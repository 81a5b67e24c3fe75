package io.torchtpu.lowering.aten;

import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.DecompositionContext;
import java.util.List;

/** One op's decomposition, declared beside its code like {@link AtenOp}; published as a {@link Decomposition} service. */
final class AtenDecomposition implements Decomposition {
    private final List<String> ops;
    private final Decomposition rewrite;

    private AtenDecomposition(List<String> ops, Decomposition rewrite) {
        this.ops = List.copyOf(ops);
        this.rewrite = rewrite;
    }

    static AtenDecomposition decompose(String op, Decomposition rewrite) {
        return new AtenDecomposition(List.of(op), rewrite);
    }

    List<String> ops() {
        return ops;
    }

    @Override
    public List<Value> decompose(Node node, DecompositionContext context) {
        return rewrite.decompose(node, context);
    }

    @Override
    public String toString() {
        return "AtenDecomposition" + ops;
    }
}
