package io.torchtpu.api.graph;

import io.torchtpu.api.TensorType;
import java.util.List;
import java.util.Map;

/** Infers the output types of an op application; the lowerer offers it, and {@link GraphBuilder} can use it. */
@FunctionalInterface
public interface TypeInference {

    /**
     * @throws IllegalArgumentException when the inputs do not fit the op, saying why
     */
    List<TensorType> inferTypes(String op, List<Value> inputs, Map<String, Object> attributes);
}
