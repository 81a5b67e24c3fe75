package io.torchtpu.tracer.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Every fixture model's .pt2 against what PyTorch recorded beside it in model.json. */
class FixtureModelsTest {
    private final ExportTracer tracer = new ExportTracer();

    static String[] models() {
        return Fixtures.MODELS;
    }

    @ParameterizedTest
    @MethodSource("models")
    void inputsAndOutputsHaveTheRecordedTypes(String name) throws IOException {
        Graph graph = tracer.trace(Fixtures.model(name).resolve("model.pt2"), TraceOptions.defaults());
        JsonObject info = Fixtures.modelInfo(name);
        assertEquals(types(info.objects("inputs")), graph.inputs().stream().map(Value::type).toList(), name + " inputs");
        assertEquals(types(info.objects("outputs")), graph.outputs().stream().map(Value::type).toList(), name + " outputs");
    }

    @ParameterizedTest
    @MethodSource("models")
    void opsAreTheExportedOverloads(String name) throws IOException {
        Graph graph = tracer.trace(Fixtures.model(name).resolve("model.pt2"), TraceOptions.defaults());
        Set<String> expected = new TreeSet<>();
        for (Object op : Fixtures.modelInfo(name).list("export_ops")) {
            String text = (String) op;
            if (text.equals("<built-in function getitem>")) {
                continue; // the serializer folds getitem into its multi-output producer
            }
            String[] parts = text.split("\\.");
            expected.add(parts[0] + "::" + parts[1] + (parts[2].equals("default") ? "" : "." + parts[2]));
        }
        Set<String> actual = graph.nodes().stream().map(Node::op).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, actual, name);
    }

    @ParameterizedTest
    @MethodSource("models")
    void parametersHoldEveryWeight(String name) throws IOException {
        Graph graph = tracer.trace(Fixtures.model(name).resolve("model.pt2"), TraceOptions.defaults());
        // tied weights (GPT-2's embedding and head) are two parameters sharing one tensor; count it once
        long weights = graph.constants().stream().filter(c -> c.value().name().startsWith("p_"))
                .map(Graph.Constant::data).distinct().mapToLong(data -> data.type().elementCount()).sum();
        assertEquals(Fixtures.modelInfo(name).integer("parameters"), weights, name + " parameter count");
        for (Graph.Constant constant : graph.constants()) {
            assertEquals(constant.value().type(), constant.data().type());
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void nodesCarrySourceLocations(String name) {
        Graph graph = tracer.trace(Fixtures.model(name).resolve("model.pt2"), TraceOptions.defaults());
        long located = graph.nodes().stream().filter(n -> n.location().isKnown()).count();
        assertTrue(located >= graph.nodes().size() * 9 / 10, name + ": " + located + " of " + graph.nodes().size() + " nodes located");
        for (Node node : graph.nodes()) {
            assertFalse(node.location().file().contains("/site-packages/torch/"), node + " is located inside PyTorch: " + node.location());
        }
    }

    /** fc1..fc3 weights against the storages TorchScript's serializer wrote into model.pt (each size occurs once). */
    @Test
    void mlpWeightsMatchTheTorchScriptArchive() throws IOException {
        Graph graph = tracer.trace(Fixtures.model("mlp").resolve("model.pt2"), TraceOptions.defaults());
        Map<String, byte[]> torchScript = Fixtures.entries(Fixtures.model("mlp").resolve("model.pt"));
        for (String weight : List.of("p_fc1_weight", "p_fc2_weight", "p_fc3_weight")) {
            Graph.Constant constant = graph.constants().stream().filter(c -> c.value().name().equals(weight)).findFirst().orElseThrow();
            assertEquals(Graph.Constant.Kind.PARAMETER, constant.kind());
            ByteBuffer data = constant.data().data();
            List<byte[]> sameSize = new ArrayList<>();
            torchScript.forEach((entry, bytes) -> {
                if (entry.matches("[^/]+/data/\\d+") && bytes.length == data.remaining()) {
                    sameSize.add(bytes);
                }
            });
            assertEquals(1, sameSize.size(), weight);
            byte[] actual = new byte[data.remaining()];
            data.get(actual);
            assertArrayEquals(sameSize.get(0), actual, weight);
        }
    }

    @Test
    void mlpGraphReadsAsExported() {
        Graph graph = tracer.trace(Fixtures.model("mlp").resolve("model.pt2"), TraceOptions.defaults());
        assertEquals("model", graph.name());
        assertEquals(List.of("x"), graph.inputs().stream().map(Value::name).toList());
        assertEquals(List.of("aten::linear", "aten::relu", "aten::linear", "aten::gelu", "aten::linear"),
                graph.nodes().stream().map(Node::op).toList());
        Node first = graph.nodes().get(0);
        assertEquals(List.of("x", "p_fc1_weight", "p_fc1_bias"), first.inputs().stream().map(Value::name).toList());
        assertEquals(TensorType.of(DType.F32, 4, 64), first.output().type());
        assertTrue(first.location().file().endsWith("make_fixtures.py"), first.location().toString());
        assertEquals(35, first.location().line());
        assertTrue(first.location().text().startsWith("return self.fc3("), first.location().text());
    }

    @Test
    void resnetAttributesAreNamedAsInTheSchema() {
        Graph graph = tracer.trace(Fixtures.model("resnet18").resolve("model.pt2"), TraceOptions.defaults());
        Node conv = graph.nodes().stream().filter(n -> n.op().equals("aten::conv2d")).findFirst().orElseThrow();
        assertEquals(2, conv.inputs().size(), "the None bias is left out: " + conv);
        assertEquals(List.of(2L, 2L), conv.intsAttr("stride"));
        assertEquals(List.of(3L, 3L), conv.intsAttr("padding"));
        assertFalse(conv.has("groups"), "arguments left at their schema default are absent");
        Node norm = graph.nodes().stream().filter(n -> n.op().equals("aten::batch_norm")).findFirst().orElseThrow();
        assertEquals(5, norm.inputs().size());
        assertFalse(norm.boolAttr("training", true));
        assertEquals(1e-5, norm.floatAttr("eps", 0), 1e-12);
        long buffers = graph.constants().stream().filter(c -> c.value().name().startsWith("b_")).count();
        assertEquals(60, buffers, "running means, variances and batch counts");
    }

    @Test
    void gpt2MultiOutputsDevicesAndDtypes() {
        Graph graph = tracer.trace(Fixtures.model("gpt2").resolve("model.pt2"), TraceOptions.defaults());
        Node split = graph.nodes().stream().filter(n -> n.op().equals("aten::split.Tensor")).findFirst().orElseThrow();
        assertEquals(3, split.outputs().size());
        assertEquals(64, split.intAttr("split_size"));
        Node arange = graph.nodes().stream().filter(n -> n.op().equals("aten::arange")).findFirst().orElseThrow();
        assertEquals("cpu", arange.stringAttr("device", ""));
        Node index = graph.nodes().stream().filter(n -> n.op().equals("aten::index.Tensor")).findFirst().orElseThrow();
        assertEquals(3, index.inputs().size());
        assertEquals(List.of(1L, 2L), index.intsAttr("indices"), "the positions of the index tensors among the inputs");
        Node to = graph.nodes().stream().filter(n -> n.op().equals("aten::to.dtype_layout")).findFirst().orElseThrow();
        assertEquals(DType.F32, to.dtypeAttr("dtype").orElseThrow());
        assertEquals("torch.strided", to.stringAttr("layout", ""));
        Node assertion = graph.nodes().stream().filter(n -> n.op().equals("aten::_assert_tensor_metadata")).findFirst().orElseThrow();
        assertEquals(0, assertion.outputs().size());
    }

    private static List<TensorType> types(List<JsonObject> tensors) {
        List<TensorType> types = new ArrayList<>();
        for (JsonObject tensor : tensors) {
            String dtype = tensor.string("dtype");
            DType match = null;
            for (DType candidate : DType.values()) {
                if (candidate.torchName().equals(dtype)) {
                    match = candidate;
                }
            }
            long[] shape = tensor.list("shape").stream().mapToLong(d -> (Long) d).toArray();
            types.add(TensorType.of(match, shape));
        }
        return types;
    }
}
