package io.torchtpu.api.graph;

import io.torchtpu.api.TensorType;
import java.util.Objects;

/**
 * A tensor in a graph, defined once (a graph input, a constant, or a node output). Scalars that ATen
 * schemas take as {@code Scalar}, {@code int} or {@code int[]} are node attributes, not values, so every
 * value has a static tensor type (a 0-d tensor for a scalar result).
 *
 * @param name unique within its graph
 * @param type dtype and static shape
 */
public record Value(String name, TensorType type) {
    public Value {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a value needs a name");
        }
    }

    @Override
    public String toString() {
        return "%" + name + ": " + type;
    }
}
