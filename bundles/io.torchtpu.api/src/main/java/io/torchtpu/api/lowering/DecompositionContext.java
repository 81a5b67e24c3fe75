package io.torchtpu.api.lowering;

import io.torchtpu.api.graph.Value;
import java.util.List;
import java.util.Map;

/** What a {@link Decomposition} emits its replacement nodes with; they keep the source location of the node they replace. */
public interface DecompositionContext {

    /** Appends a node of {@code op} and returns its only output, typed by the lowerer's type inference. */
    Value emit(String op, List<Value> inputs, Map<String, ?> attributes);

    /** Appends a node of {@code op} and returns all its outputs. */
    List<Value> emitAll(String op, List<Value> inputs, Map<String, ?> attributes);
}
