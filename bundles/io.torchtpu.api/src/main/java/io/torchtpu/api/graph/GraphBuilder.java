package io.torchtpu.api.graph;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a {@link Graph} node by node, for tracers and tests. Output value names are generated
 * ({@code v0, v1, ...}) unless given. Output types are either given, or inferred by the {@link TypeInference}
 * the builder was made with (the lowerer's, so that a graph is typed exactly as it will be lowered).
 */
public final class GraphBuilder {
    private final String name;
    private final TypeInference inference;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Graph.Constant> constants = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private int nextName;

    public GraphBuilder(String name) {
        this(name, null);
    }

    public GraphBuilder(String name, TypeInference inference) {
        this.name = Objects.requireNonNull(name, "name");
        this.inference = inference;
    }

    public Value input(String valueName, TensorType type) {
        Value value = new Value(valueName, type);
        inputs.add(value);
        return value;
    }

    /** Weights: passed to the program as arguments after the inputs. */
    public Value parameter(String valueName, HostTensor data) {
        return constant(valueName, data, Graph.Constant.Kind.PARAMETER);
    }

    /** A literal written into the program text. */
    public Value literal(String valueName, HostTensor data) {
        return constant(valueName, data, Graph.Constant.Kind.INLINE);
    }

    private Value constant(String valueName, HostTensor data, Graph.Constant.Kind kind) {
        Value value = new Value(valueName, data.type());
        constants.add(new Graph.Constant(value, data, kind));
        return value;
    }

    /** Starts a node of the ATen overload {@code op}; finish it with {@link NodeBuilder#output()} or its siblings. */
    public NodeBuilder op(String op, Value... inputs) {
        return new NodeBuilder(op, Arrays.asList(inputs));
    }

    /** Adds a node made elsewhere (its inputs must already be defined). */
    public GraphBuilder add(Node node) {
        nodes.add(node);
        return this;
    }

    public GraphBuilder output(Value... values) {
        outputs.addAll(Arrays.asList(values));
        return this;
    }

    public Graph build() {
        return new Graph(name, inputs, constants, nodes, outputs);
    }

    /** One node being built. */
    public final class NodeBuilder {
        private final String op;
        private final List<Value> nodeInputs;
        private final Map<String, Object> attributes = new LinkedHashMap<>();
        private SourceLocation location = SourceLocation.UNKNOWN;
        private String schema;

        private NodeBuilder(String op, List<Value> nodeInputs) {
            this.op = op;
            this.nodeInputs = List.copyOf(nodeInputs);
        }

        public NodeBuilder attr(String attributeName, Object value) {
            attributes.put(attributeName, value);
            return this;
        }

        public NodeBuilder at(SourceLocation sourceLocation) {
            this.location = sourceLocation;
            return this;
        }

        public NodeBuilder schema(String schemaText) {
            this.schema = schemaText;
            return this;
        }

        /** Ends the node with one output whose type the builder's inference decides. */
        public Value output() {
            return outputs().get(0);
        }

        /** Ends the node with the outputs the builder's inference decides. */
        public List<Value> outputs() {
            if (inference == null) {
                throw new IllegalStateException("this GraphBuilder has no TypeInference; give " + op + " its output types");
            }
            return outputs(inference.inferTypes(op, nodeInputs, attributes).toArray(TensorType[]::new));
        }

        /** Ends the node with one output of the given type. */
        public Value output(TensorType type) {
            return outputs(type).get(0);
        }

        public List<Value> outputs(TensorType... types) {
            List<Value> results = new ArrayList<>();
            for (TensorType type : types) {
                results.add(new Value("v" + nextName++, type));
            }
            nodes.add(new Node(op, nodeInputs, results, attributes, location, schema));
            return results;
        }
    }
}
