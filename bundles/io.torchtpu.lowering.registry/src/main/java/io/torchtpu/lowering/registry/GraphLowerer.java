package io.torchtpu.lowering.registry;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.graph.SourceLocation;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.DecompositionContext;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.LoweringException;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.api.lowering.UncoveredOpsException;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import io.torchtpu.stablehlo.ModuleBuilder;
import io.torchtpu.stablehlo.StableHloModule;
import io.torchtpu.stablehlo.lowering.LoweringContext;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Lowers one graph against one snapshot of the registry, in three passes: decompose (repeatedly, until
 * no node has a decomposition), check coverage and types for every node (collecting every problem before
 * anything is emitted), then emit one lowering per node.
 */
final class GraphLowerer {
    /** A decomposition that keeps emitting ops that decompose again is cut off here. */
    private static final int MAX_DECOMPOSITION_DEPTH = 32;

    private final LoweringRegistry.Snapshot registry;
    private final String backend;
    private final Map<String, String> providers = new TreeMap<>();
    private final Set<String> usedNames = new HashSet<>();
    private int nextName;

    GraphLowerer(LoweringRegistry.Snapshot registry, String backend) {
        this.registry = registry;
        this.backend = backend;
    }

    LoweredModule lower(Graph graph) {
        graph.inputs().forEach(v -> usedNames.add(v.name()));
        graph.constants().forEach(c -> usedNames.add(c.value().name()));
        graph.nodes().forEach(n -> n.outputs().forEach(v -> usedNames.add(v.name())));

        Map<String, Value> renamed = new HashMap<>();
        List<Node> nodes = new ArrayList<>();
        for (Node node : graph.nodes()) {
            decompose(substitute(node, renamed), nodes, renamed, 0);
        }
        List<Value> outputs = graph.outputs().stream().map(v -> renamed.getOrDefault(v.name(), v)).toList();

        checkCoverage(graph.name(), nodes);
        List<OperandRule.Prepared> prepared = checkTypes(graph.name(), nodes);
        return emit(graph, nodes, prepared, outputs);
    }

    // ---- pass 1: decompositions --------------------------------------------------------------------

    private static Node substitute(Node node, Map<String, Value> renamed) {
        if (renamed.isEmpty()) {
            return node;
        }
        List<Value> inputs = node.inputs().stream().map(v -> renamed.getOrDefault(v.name(), v)).toList();
        return new Node(node.op(), inputs, node.outputs(), node.attributes(), node.location(), node.schema());
    }

    private void decompose(Node node, List<Node> out, Map<String, Value> renamed, int depth) {
        Provider<Decomposition> decomposition = registry.decomposition(node.op(), backend);
        if (decomposition == null) {
            out.add(node);
            return;
        }
        if (depth > MAX_DECOMPOSITION_DEPTH) {
            throw new LoweringException(node.op() + " at " + node.location() + ": decompositions nest deeper than "
                    + MAX_DECOMPOSITION_DEPTH + " (last by " + decomposition.origin() + ")");
        }
        providers.put(node.op(), "decomposed by " + decomposition.describe());
        List<Node> emitted = new ArrayList<>();
        List<Value> replacements = runDecomposition(decomposition, node, emitted, depth);
        for (Node child : emitted) {
            decompose(substitute(child, renamed), out, renamed, depth + 1);
        }
        for (int i = 0; i < replacements.size(); i++) {
            renamed.put(node.outputs().get(i).name(), renamed.getOrDefault(replacements.get(i).name(), replacements.get(i)));
        }
    }

    private List<Value> runDecomposition(Provider<Decomposition> decomposition, Node node, List<Node> emitted, int depth) {
        DecompositionContext context = new DecompositionContext() {
            @Override
            public Value emit(String op, List<Value> inputs, Map<String, ?> attributes) {
                List<Value> outputs = emitAll(op, inputs, attributes);
                if (outputs.size() != 1) {
                    throw new IllegalArgumentException(op + " has " + outputs.size() + " outputs; use emitAll");
                }
                return outputs.get(0);
            }

            @Override
            public List<Value> emitAll(String op, List<Value> inputs, Map<String, ?> attributes) {
                Map<String, Object> copy = new LinkedHashMap<>(attributes);
                List<Value> outputs = new ArrayList<>();
                for (TensorType type : inferTypes(op, inputs, copy, depth + 1)) {
                    outputs.add(new Value(freshName(), type));
                }
                emitted.add(new Node(op, inputs, outputs, copy, node.location()));
                return outputs;
            }
        };
        List<Value> replacements;
        try {
            replacements = decomposition.service().decompose(node, context);
        } catch (LoweringException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new LoweringException(node.op() + " at " + node.location() + ": the decomposition from "
                    + decomposition.origin() + " failed: " + e.getMessage(), e);
        }
        List<TensorType> expected = node.outputs().stream().map(Value::type).toList();
        List<TensorType> actual = replacements.stream().map(Value::type).toList();
        if (!expected.equals(actual)) {
            throw new LoweringException(node.op() + " at " + node.location() + ": the decomposition from "
                    + decomposition.origin() + " gives " + actual + " where the node has " + expected);
        }
        return replacements;
    }

    private String freshName() {
        String name;
        do {
            name = "d" + nextName++;
        } while (!usedNames.add(name));
        return name;
    }

    /** Types an op application as it would be lowered: through its decomposition if it has one, else its lowering's meta. */
    List<TensorType> inferTypes(String op, List<Value> inputs, Map<String, Object> attributes) {
        return inferTypes(op, inputs, attributes, 0);
    }

    /** @param depth how deep in decompositions this op was emitted: typing a runaway decomposition must stop too */
    private List<TensorType> inferTypes(String op, List<Value> inputs, Map<String, Object> attributes, int depth) {
        List<Value> placeholders = List.of();
        Node node = new Node(op, inputs, placeholders, attributes, SourceLocation.UNKNOWN);
        Provider<Decomposition> decomposition = registry.decomposition(op, backend);
        if (decomposition != null) {
            if (depth > MAX_DECOMPOSITION_DEPTH) {
                throw new LoweringException(op + ": decompositions nest deeper than " + MAX_DECOMPOSITION_DEPTH
                        + " (last by " + decomposition.origin() + ")");
            }
            inputs.forEach(v -> usedNames.add(v.name()));
            List<Node> scratch = new ArrayList<>();
            DecompositionContext context = new DecompositionContext() {
                @Override
                public Value emit(String childOp, List<Value> childInputs, Map<String, ?> childAttributes) {
                    return emitAll(childOp, childInputs, childAttributes).get(0);
                }

                @Override
                public List<Value> emitAll(String childOp, List<Value> childInputs, Map<String, ?> childAttributes) {
                    List<Value> outputs = new ArrayList<>();
                    for (TensorType type : inferTypes(childOp, childInputs, new LinkedHashMap<>(childAttributes), depth + 1)) {
                        outputs.add(new Value(freshName(), type));
                    }
                    scratch.add(null);
                    return outputs;
                }
            };
            return decomposition.service().decompose(node, context).stream().map(Value::type).toList();
        }
        Provider<OpLowering> lowering = registry.lowering(op, backend);
        if (lowering == null) {
            throw new IllegalArgumentException("no lowering for " + op);
        }
        return lowering.service().inferTypes(node, lowering.service().operandRule().prepare(node));
    }

    // ---- pass 2: coverage and types ----------------------------------------------------------------

    private void checkCoverage(String graphName, List<Node> nodes) {
        Map<String, List<Node>> uncovered = new TreeMap<>();
        for (Node node : nodes) {
            if (registry.lowering(node.op(), backend) == null) {
                uncovered.computeIfAbsent(node.op(), k -> new ArrayList<>()).add(node);
            }
        }
        if (uncovered.isEmpty()) {
            return;
        }
        List<UncoveredOpsException.Uncovered> entries = new ArrayList<>();
        uncovered.forEach((op, users) -> {
            Node first = users.get(0);
            String schema = first.schema().isEmpty() ? first.signature() : first.schema();
            entries.add(new UncoveredOpsException.Uncovered(op, schema,
                    users.stream().map(n -> n.location().toString()).distinct().toList()));
        });
        throw new UncoveredOpsException(graphName, entries);
    }

    private List<OperandRule.Prepared> checkTypes(String graphName, List<Node> nodes) {
        List<String> problems = new ArrayList<>();
        List<OperandRule.Prepared> prepared = new ArrayList<>();
        for (Node node : nodes) {
            Provider<OpLowering> lowering = registry.lowering(node.op(), backend);
            try {
                OperandRule.Prepared operands = lowering.service().operandRule().prepare(node);
                prepared.add(operands);
                List<TensorType> inferred = lowering.service().inferTypes(node, operands);
                List<TensorType> declared = node.outputs().stream().map(Value::type).toList();
                if (!inferred.equals(declared)) {
                    problems.add(node.op() + " at " + node.location() + ": the lowering from " + lowering.origin() + " infers "
                            + inferred + " but the graph says " + declared + " (" + node.signature() + ")");
                }
            } catch (RuntimeException e) {
                prepared.add(null);
                problems.add(node.op() + " at " + node.location() + " (lowering from " + lowering.origin() + "): " + e.getMessage()
                        + " (" + node.signature() + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw new LoweringException("graph " + graphName + ": " + problems.size() + " node(s) do not type-check\n  "
                    + String.join("\n  ", problems));
        }
        return prepared;
    }

    // ---- pass 3: emission --------------------------------------------------------------------------

    private LoweredModule emit(Graph graph, List<Node> nodes, List<OperandRule.Prepared> prepared, List<Value> outputs) {
        List<Value> arguments = new ArrayList<>(graph.inputs());
        graph.constants().stream().filter(c -> c.kind() == Graph.Constant.Kind.PARAMETER).forEach(c -> arguments.add(c.value()));
        ModuleBuilder module = new ModuleBuilder(graph.name());
        FunctionBuilder function = module.function("main", arguments.stream().map(Value::type).toList());
        Map<String, HloValue> values = new HashMap<>();
        for (int i = 0; i < arguments.size(); i++) {
            values.put(arguments.get(i).name(), function.argument(i));
        }
        for (Graph.Constant constant : graph.constants()) {
            if (constant.kind() == Graph.Constant.Kind.INLINE) {
                values.put(constant.value().name(), function.constant(constant.data()));
            }
        }
        for (int n = 0; n < nodes.size(); n++) {
            Node node = nodes.get(n);
            Provider<OpLowering> lowering = registry.lowering(node.op(), backend);
            providers.putIfAbsent(node.op(), lowering.describe());
            List<HloValue> results = lowerNode(function, node, prepared.get(n), lowering, values);
            for (int i = 0; i < results.size(); i++) {
                values.put(node.outputs().get(i).name(), results.get(i));
            }
        }
        function.ret(outputs.stream().map(v -> values.get(v.name())).toList());
        StableHloModule built = module.build();
        return new LoweredModule(built.text(), built.fingerprint(), arguments, outputs, providers);
    }

    private List<HloValue> lowerNode(FunctionBuilder function, Node node, OperandRule.Prepared prepared, Provider<OpLowering> lowering,
            Map<String, HloValue> values) {
        try {
            List<HloValue> operands = prepareOperands(function, node, prepared, lowering.service().operandRule(), values);
            LoweringContext context = new Context(function, prepared, backend, node);
            List<HloValue> results = lowering.service().lower(context, node, operands);
            List<TensorType> actual = results.stream().map(HloValue::type).toList();
            List<TensorType> expected = node.outputs().stream().map(Value::type).toList();
            if (!actual.equals(expected)) {
                throw new LoweringException(node.op() + " at " + node.location() + ": the lowering from " + lowering.origin()
                        + " emitted " + actual + " where its meta function said " + expected);
            }
            return results;
        } catch (LoweringException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new LoweringException(node.op() + " at " + node.location() + ": the lowering from " + lowering.origin()
                    + " failed: " + e, e);
        }
    }

    /** The one place operands are promoted, broadcast and scalars made tensors, as the lowering's rule says. */
    private static List<HloValue> prepareOperands(FunctionBuilder function, Node node, OperandRule.Prepared prepared, OperandRule rule,
            Map<String, HloValue> values) {
        List<HloValue> operands = new ArrayList<>();
        for (int i = 0; i < node.inputs().size(); i++) {
            HloValue value = values.get(node.inputs().get(i).name());
            if (rule.isElementwise()) {
                TensorType target = prepared.operandTypes().get(i);
                value = function.broadcastTo(function.convert(value, target.dtype()), target.shape());
            }
            operands.add(value);
        }
        List<Scalar> scalars = prepared.scalars();
        for (int i = 0; i < scalars.size(); i++) {
            TensorType target = prepared.operandTypes().get(node.inputs().size() + i);
            Scalar scalar = scalars.get(i);
            operands.add(scalar.kind() == Scalar.Kind.FLOAT || target.dtype().isFloatingPoint()
                    ? function.constant(target, scalar.asDouble())
                    : function.constant(target, scalar.asLong()));
        }
        return operands;
    }

    private record Context(FunctionBuilder builder, OperandRule.Prepared prepared, String backend, Node node) implements LoweringContext {
    }
}
