package io.torchtpu.lowering.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.GraphBuilder;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.SourceLocation;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.LoweringException;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.api.lowering.UncoveredOpsException;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import io.torchtpu.stablehlo.lowering.LoweringContext;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The registry outside a framework: which lowering wins, what listeners hear, and how lowering fails. */
class LoweringRegistryTest {
    private static final TensorType F32 = TensorType.of(DType.F32, 2, 3);

    private final List<Set<String>> events = new ArrayList<>();
    private final LoweringRegistry registry = new LoweringRegistry();
    private long nextId = 1;

    LoweringRegistryTest() {
        registry.addListener(events::add);
    }

    @FunctionalInterface
    private interface UnaryEmit {
        HloValue apply(FunctionBuilder builder, HloValue operand);
    }

    /** A lowering of a one-input op that emits {@code emit}; the StableHLO op in the text tells which lowering ran. */
    private static OpLowering emitting(UnaryEmit emit) {
        return new OpLowering() {
            @Override
            public List<TensorType> inferTypes(Node node, OperandRule.Prepared operands) {
                return List.of(operands.operandTypes().get(0));
            }

            @Override
            public List<HloValue> lower(LoweringContext context, Node node, List<HloValue> operands) {
                return List.of(emit.apply(context.builder(), operands.get(0)));
            }
        };
    }

    /** {@code aten::add.Tensor} of two same-typed inputs. */
    private static final OpLowering ADD = new OpLowering() {
        @Override
        public List<TensorType> inferTypes(Node node, OperandRule.Prepared operands) {
            return List.of(operands.operandTypes().get(0));
        }

        @Override
        public List<HloValue> lower(LoweringContext context, Node node, List<HloValue> operands) {
            return List.of(context.builder().add(operands.get(0), operands.get(1)));
        }
    };

    private Provider<OpLowering> lowering(OpLowering service, String op, int ranking, String backend, String bundle) {
        return new Provider<>(service, List.of(op), backend, ranking, nextId++, bundle, "1.2.3");
    }

    private static Graph oneNode(String op) {
        GraphBuilder graph = new GraphBuilder("g");
        Value x = graph.input("x", F32);
        graph.output(graph.op(op, x).output(F32));
        return graph.build();
    }

    @Test
    void theHighestRankingWinsAndTheRunnerUpComesBackWhenItGoes() {
        registry.addLowering(lowering(emitting(FunctionBuilder::abs), "aten::neg", 0, null, "base"));
        Provider<OpLowering> vendor = lowering(emitting(FunctionBuilder::negate), "aten::neg", 10, null, "vendor");
        registry.addLowering(vendor);

        LoweredModule lowered = registry.lower(oneNode("aten::neg"), null);
        assertTrue(lowered.text().contains("stablehlo.negate"), lowered.text());
        assertEquals("vendor/10", lowered.providers().get("aten::neg"));

        registry.removeLowering(vendor.id());
        LoweredModule after = registry.lower(oneNode("aten::neg"), null);
        assertTrue(after.text().contains("stablehlo.abs"), after.text());
        assertEquals("base/0", after.providers().get("aten::neg"));
    }

    @Test
    void amongEqualRankingsTheOlderServiceWins() {
        registry.addLowering(lowering(emitting(FunctionBuilder::abs), "aten::neg", 5, null, "first"));
        registry.addLowering(lowering(emitting(FunctionBuilder::negate), "aten::neg", 5, null, "second"));
        assertEquals("first/5", registry.lower(oneNode("aten::neg"), null).providers().get("aten::neg"));
    }

    @Test
    void aBackendLimitedLoweringAppliesOnlyToItsBackend() {
        registry.addLowering(lowering(emitting(FunctionBuilder::abs), "aten::neg", 0, null, "generic"));
        registry.addLowering(lowering(emitting(FunctionBuilder::negate), "aten::neg", 0, "tpu-v6e", "tpu"));
        registry.addLowering(lowering(emitting(FunctionBuilder::tanh), "aten::tanh", 0, "tpu-v6e", "tpu"));

        assertTrue(registry.lower(oneNode("aten::neg"), "tpu-v6e").text().contains("stablehlo.negate"),
                "at equal ranking the backend's own lowering beats the generic one");
        assertEquals("tpu/0@tpu-v6e", registry.lower(oneNode("aten::neg"), "tpu-v6e").providers().get("aten::neg"));
        assertTrue(registry.lower(oneNode("aten::neg"), "cpu").text().contains("stablehlo.abs"));
        assertTrue(registry.lower(oneNode("aten::neg"), null).text().contains("stablehlo.abs"));
        UncoveredOpsException e = assertThrows(UncoveredOpsException.class, () -> registry.lower(oneNode("aten::tanh"), "cpu"));
        assertEquals("aten::tanh", e.uncovered().get(0).op());

        registry.addLowering(lowering(emitting(FunctionBuilder::sign), "aten::neg", 1, null, "ranked-generic"));
        assertTrue(registry.lower(oneNode("aten::neg"), "tpu-v6e").text().contains("stablehlo.sign"),
                "ranking decides before the backend does");
    }

    @Test
    void listenersHearTheOpsThatAnAddAModifyAndARemoveAffect() {
        Provider<OpLowering> added = new Provider<>(emitting(FunctionBuilder::abs), List.of("aten::abs", "aten::neg"), null, 0, 7, "b");
        registry.addLowering(added);
        assertEquals(List.of(Set.of("aten::abs", "aten::neg")), events);

        // the same service (id 7) with changed properties: the ops it left and the ops it took
        registry.addLowering(new Provider<>(added.service(), List.of("aten::neg", "aten::sign"), null, 3, 7, "b"));
        assertEquals(Set.of("aten::abs", "aten::neg", "aten::sign"), events.get(1));

        registry.removeLowering(7);
        assertEquals(Set.of("aten::neg", "aten::sign"), events.get(2));

        registry.addDecomposition(new Provider<>((Decomposition) (n, c) -> List.of(), List.of("aten::linear"), null, 0, 8, "b"));
        registry.removeDecomposition(8);
        assertEquals(List.of(Set.of("aten::linear"), Set.of("aten::linear")), events.subList(3, 5));

        registry.removeLowering(99);
        assertEquals(5, events.size(), "removing a service the registry never had is no event");
    }

    @Test
    void aFailingListenerIsReportedAndTheOthersStillHear() {
        List<RuntimeException> failures = new ArrayList<>();
        LoweringRegistry withFailure = new LoweringRegistry((listener, e) -> failures.add(e));
        withFailure.addListener(ops -> {
            throw new IllegalStateException("boom");
        });
        withFailure.addListener(events::add);
        withFailure.addLowering(lowering(emitting(FunctionBuilder::abs), "aten::abs", 0, null, "b"));
        assertEquals("boom", failures.get(0).getMessage());
        assertEquals(List.of(Set.of("aten::abs")), events);
    }

    @Test
    void uncoveredOpsFailOnceListingEveryOpWithSchemaAndEveryLocation() {
        registry.addLowering(lowering(emitting(FunctionBuilder::abs), "aten::abs", 0, null, "b"));
        GraphBuilder graph = new GraphBuilder("model");
        Value x = graph.input("x", F32);
        Value a = graph.op("aten::abs", x).output(F32);
        Value b = graph.op("aten::erfinv", a).at(new SourceLocation("model.py", 3, 9, "torch.erfinv(a)"))
                .schema("aten::erfinv(Tensor self) -> Tensor").output(F32);
        Value c = graph.op("aten::digamma", b).at(new SourceLocation("model.py", 4, 9, "")).output(F32);
        Value d = graph.op("aten::erfinv", c).at(new SourceLocation("model.py", 5, 9, ""))
                .schema("aten::erfinv(Tensor self) -> Tensor").output(F32);
        graph.output(d);

        UncoveredOpsException e = assertThrows(UncoveredOpsException.class, () -> registry.lower(graph.build(), null));
        assertEquals(List.of("aten::digamma", "aten::erfinv"), e.uncovered().stream().map(UncoveredOpsException.Uncovered::op).toList());
        UncoveredOpsException.Uncovered erfinv = e.uncovered().get(1);
        assertEquals("aten::erfinv(Tensor self) -> Tensor", erfinv.schema());
        assertEquals(List.of("model.py:3:9 `torch.erfinv(a)`", "model.py:5:9"), erfinv.locations());
        assertTrue(e.uncovered().get(0).schema().startsWith("aten::digamma("), "without a schema, the signature as seen");
        assertTrue(e.getMessage().startsWith("graph model: no lowering for 2 ops"), e.getMessage());
        assertTrue(e.getMessage().contains("at model.py:4:9") && e.getMessage().contains("at model.py:5:9"), e.getMessage());
    }

    /** {@code aten::double(x)} rewritten as {@code aten::add(x, x)}. */
    private static final Decomposition DOUBLE_AS_ADD = (node, context) ->
            List.of(context.emit("aten::add.Tensor", List.of(node.input(0), node.input(0)), Map.of()));

    @Test
    void decompositionsApplyBeforeLoweringAndWinOverALoweringOfTheSameOp() {
        registry.addLowering(lowering(ADD, "aten::add.Tensor", 0, null, "base"));
        registry.addLowering(lowering(emitting(FunctionBuilder::negate), "aten::double", 100, null, "never-used"));
        registry.addDecomposition(new Provider<>(DOUBLE_AS_ADD, List.of("aten::double"), null, 0, nextId++, "decomposer"));

        LoweredModule lowered = registry.lower(oneNode("aten::double"), null);
        assertTrue(lowered.text().contains("\"stablehlo.add\"(%arg0, %arg0)"), lowered.text());
        assertTrue(!lowered.text().contains("stablehlo.negate"), lowered.text());
        assertEquals("decomposed by decomposer/0", lowered.providers().get("aten::double"));
        assertEquals("base/0", lowered.providers().get("aten::add.Tensor"));
        assertEquals(List.of(F32), registry.inferTypes("aten::double", List.of(new Value("x", F32)), Map.of()),
                "type inference goes through the decomposition too");
    }

    @Test
    void aRunawayDecompositionIsCutOffWithTheOpAndItsBundle() {
        registry.addDecomposition(new Provider<>((Decomposition) (node, context) ->
                List.of(context.emit("aten::forever", node.inputs(), Map.of())), List.of("aten::forever"), null, 0, nextId++, "loopy"));
        LoweringException e = assertThrows(LoweringException.class, () -> registry.lower(oneNode("aten::forever"), null));
        assertTrue(e.getMessage().contains("aten::forever") && e.getMessage().contains("nest deeper than 32")
                && e.getMessage().contains("loopy"), e.getMessage());
    }

    @Test
    void aDefaultOverloadNameMeansTheSchemaName() {
        registry.addLowering(lowering(emitting(FunctionBuilder::negate), "aten::neg.default", 0, null, "python-style"));
        assertEquals(Set.of("aten::neg"), events.get(0));
        assertTrue(registry.lower(oneNode("aten::neg"), null).text().contains("stablehlo.negate"));
    }
}
