package io.torchtpu.api.graph;

import io.torchtpu.api.HostTensor;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;

/**
 * A traced program: inputs, constants (with their data), nodes in topological order and outputs. Built
 * with {@link GraphBuilder}, which checks that every value is defined once and before it is used.
 */
public final class Graph {

    /**
     * A value whose data is known when the graph is built.
     *
     * @param kind {@link Kind#PARAMETER} data (weights) is passed to the compiled program as an argument after
     *     the inputs, so that the program text, and with it the compile cache key, does not depend on the
     *     weights; {@link Kind#INLINE} data (small literals) is written into the program text
     */
    public record Constant(Value value, HostTensor data, Kind kind) {
        public enum Kind { PARAMETER, INLINE }

        public Constant {
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(data, "data");
            Objects.requireNonNull(kind, "kind");
            if (!data.type().equals(value.type())) {
                throw new IllegalArgumentException("constant " + value + " holds data of type " + data.type());
            }
        }
    }

    private final String name;
    private final List<Value> inputs;
    private final List<Constant> constants;
    private final List<Node> nodes;
    private final List<Value> outputs;

    Graph(String name, List<Value> inputs, List<Constant> constants, List<Node> nodes, List<Value> outputs) {
        this.name = name;
        this.inputs = List.copyOf(inputs);
        this.constants = List.copyOf(constants);
        this.nodes = List.copyOf(nodes);
        this.outputs = List.copyOf(outputs);
        checkDefinedBeforeUse();
    }

    /** A graph from parts, checked as {@link GraphBuilder#build()} checks it; for rewriters such as the lowerer. */
    public static Graph of(String name, List<Value> inputs, List<Constant> constants, List<Node> nodes, List<Value> outputs) {
        return new Graph(name, inputs, constants, nodes, outputs);
    }

    private void checkDefinedBeforeUse() {
        Set<String> defined = new HashSet<>();
        inputs.forEach(v -> define(defined, v, "input"));
        constants.forEach(c -> define(defined, c.value(), "constant"));
        for (Node node : nodes) {
            for (Value input : node.inputs()) {
                if (!defined.contains(input.name())) {
                    throw new IllegalArgumentException(node.op() + " at " + node.location() + " uses " + input
                            + " before it is defined");
                }
            }
            node.outputs().forEach(v -> define(defined, v, node.op() + " output"));
        }
        for (Value output : outputs) {
            if (!defined.contains(output.name())) {
                throw new IllegalArgumentException("graph output " + output + " is never defined");
            }
        }
    }

    private static void define(Set<String> defined, Value value, String what) {
        if (!defined.add(value.name())) {
            throw new IllegalArgumentException(what + " " + value + " redefines the name " + value.name());
        }
    }

    public String name() {
        return name;
    }

    public List<Value> inputs() {
        return inputs;
    }

    public List<Constant> constants() {
        return constants;
    }

    /** The nodes in topological order: a node comes after the nodes that define its inputs. */
    public List<Node> nodes() {
        return nodes;
    }

    public List<Value> outputs() {
        return outputs;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("graph ").append(name).append('(');
        StringJoiner in = new StringJoiner(", ");
        inputs.forEach(v -> in.add(v.toString()));
        text.append(in).append(") {\n");
        constants.forEach(c -> text.append("  ").append(c.value()).append(" = ").append(c.kind()).append('\n'));
        nodes.forEach(n -> text.append("  ").append(n).append('\n'));
        StringJoiner out = new StringJoiner(", ");
        outputs.forEach(v -> out.add("%" + v.name()));
        return text.append("  return ").append(out).append("\n}").toString();
    }
}
