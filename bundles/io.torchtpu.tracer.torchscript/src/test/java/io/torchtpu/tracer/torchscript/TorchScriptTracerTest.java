package io.torchtpu.tracer.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Value;
import io.torchtpu.tensorio.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchScriptTracerTest {
    private final TorchScriptTracer tracer = new TorchScriptTracer();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "resnet18", "mobilenet_v2", "bert", "gpt2"})
    void everyFixtureParsesWithTheTypesOfItsInputsAndReference(String model) throws IOException {
        Path file = Fixtures.torchScript(model);
        Graph graph = tracer.trace(file, TraceOptions.defaults());
        List<TensorType> inputs = types(Safetensors.read(file.resolveSibling("inputs.safetensors")));
        List<TensorType> outputs = types(Safetensors.read(file.resolveSibling("reference.safetensors")));
        assertEquals(inputs, graph.inputs().stream().map(Value::type).toList(), model + " inputs");
        assertEquals(outputs, graph.outputs().stream().map(Value::type).toList(), model + " outputs");
        assertFalse(graph.nodes().isEmpty());
        for (Node node : graph.nodes()) {
            assertTrue(node.op().startsWith("aten::") && !node.schema().isEmpty(), node.toString());
        }
        assertTrue(graph.nodes().stream().anyMatch(n -> n.location().isKnown()), model + ": no node has a source location");
        assertFalse(graph.constants().isEmpty(), model + ": the weights should be constants");
        System.out.println("torchscript " + model + ": " + graph.nodes().size() + " nodes, " + graph.constants().size()
                + " constants; ops: " + GraphConverter.describeOps(graph));
    }

    @Test
    void mlpReadsAsThreeLinearLayersWithLocationsInTheFixtureScript() {
        Graph graph = tracer.trace(Fixtures.torchScript("mlp"), TraceOptions.defaults());
        assertEquals(List.of("aten::linear", "aten::relu", "aten::linear", "aten::gelu", "aten::linear"),
                graph.nodes().stream().map(Node::op).toList());
        Node gelu = graph.nodes().get(3);
        assertEquals("none", gelu.stringAttr("approximate", "?"));
        assertTrue(gelu.location().file().endsWith("make_fixtures.py") && gelu.location().line() == 35, gelu.location().toString());
        assertEquals(6, graph.constants().size());
    }

    @Test
    void userShapesOverrideTheExampleInputs() {
        Graph graph = tracer.trace(Fixtures.torchScript("mlp"), TraceOptions.defaults()
                .withInputTypes(List.of(TensorType.of(DType.F32, 7, 32))));
        assertEquals(TensorType.of(DType.F32, 7, 10), graph.outputs().get(0).type());
    }

    @Test
    void aWrongInputShapeNamesTheFileAndTheOp() {
        TraceException e = assertThrows(TraceException.class, () -> tracer.trace(Fixtures.torchScript("mlp"),
                TraceOptions.defaults().withInputTypes(List.of(TensorType.of(DType.F32, 4, 31)))));
        assertTrue(e.getMessage().contains("mlp/model.pt") && e.getMessage().contains("aten::linear")
                && e.getMessage().contains("tensor<4x31xf32>"), e.getMessage());
        TraceException count = assertThrows(TraceException.class, () -> tracer.trace(Fixtures.torchScript("mlp"),
                TraceOptions.defaults().withInputTypes(List.of(TensorType.of(DType.F32, 4, 32), TensorType.of(DType.F32, 4, 32)))));
        assertTrue(count.getMessage().contains("1 tensor input(s), 2 example input(s)"), count.getMessage());
    }

    @Test
    void aTruncatedArchiveOrAFileThatIsNoProgramIsRefusedByName() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.torchScript("mlp"));
        Path truncated = Files.write(dir.resolve("truncated.pt"), java.util.Arrays.copyOf(whole, whole.length / 2));
        TraceException cut = assertThrows(TraceException.class, () -> tracer.trace(truncated, shapes(4, 32)));
        assertTrue(cut.getMessage().contains("truncated.pt") && cut.getMessage().contains("truncated or corrupt"), cut.getMessage());
        Path binary = Files.write(dir.resolve("noise.pt"), new byte[] {1, 2, 0, 4, 5});
        TraceException noise = assertThrows(TraceException.class, () -> tracer.trace(binary, shapes(4, 32)));
        assertTrue(noise.getMessage().contains("noise.pt") && noise.getMessage().contains("neither a TorchScript archive"), noise.getMessage());
        Path pt2 = Fixtures.directory("mlp").resolve("model.pt2");
        TraceException export = assertThrows(TraceException.class, () -> tracer.trace(pt2, shapes(4, 32)));
        assertTrue(export.getMessage().contains("model.pt2") && export.getMessage().contains("not a TorchScript one"), export.getMessage());
        Path missing = dir.resolve("absent.pt");
        assertThrows(TraceException.class, () -> tracer.trace(missing, shapes(4, 32)));
    }

    @Test
    void aCorruptEntryIsRefusedInJavaBeforeLibtorchReadsIt() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.torchScript("mlp"));
        // flip one byte inside data.pkl, which PyTorch stores uncompressed: only the CRC tells
        byte[] pickle;
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(Fixtures.torchScript("mlp").toFile())) {
            java.util.zip.ZipEntry entry = zip.stream().filter(z -> z.getName().endsWith("/data.pkl")).findFirst().orElseThrow();
            pickle = zip.getInputStream(entry).readAllBytes();
        }
        int dataStart = indexOf(whole, pickle, 0);
        whole[dataStart + pickle.length / 2] ^= 0x55;
        Path corrupt = Files.write(dir.resolve("corrupt.pt"), whole);
        TraceException e = assertThrows(TraceException.class, () -> tracer.trace(corrupt, shapes(4, 32)));
        assertTrue(e.getMessage().contains("corrupt.pt") && e.getMessage().contains("data.pkl") && e.getMessage().contains("corrupt"),
                e.getMessage());
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void withoutShapesOrExampleInputsTheTracerSaysWhatToGive() throws IOException {
        Path copy = Files.copy(Fixtures.torchScript("mlp"), dir.resolve("alone.pt"));
        TraceException e = assertThrows(TraceException.class, () -> tracer.trace(copy, TraceOptions.defaults()));
        assertTrue(e.getMessage().contains("alone.pt") && e.getMessage().contains("--input-shape"), e.getMessage());
    }

    @Test
    void sourceWithStaticControlFlowUnrollsAndFolds() throws IOException {
        Path source = Files.writeString(dir.resolve("program.ts"), String.join("\n",
                "def scale(x: Tensor, k: int):",
                "    return x * k",
                "",
                "def forward(x: Tensor):",
                "    y = torch.relu(x)",
                "    if x.dim() == 2:",
                "        y = y + 1.0",
                "    else:",
                "        y = y - 1.0",
                "    for i in range(3):",
                "        y = scale(y, 2)",
                "    parts = [y, x]",
                "    return torch.cat(parts, 1)",
                ""));
        Graph graph = tracer.trace(source, shapes(2, 3));
        assertEquals(List.of("aten::relu", "aten::add.Scalar", "aten::mul.Scalar", "aten::mul.Scalar", "aten::mul.Scalar", "aten::cat"),
                graph.nodes().stream().map(Node::op).toList());
        Node cat = graph.nodes().get(5);
        assertEquals(2, cat.inputs().size());
        assertEquals(1L, cat.intAttr("dim"));
        assertEquals(TensorType.of(DType.F32, 2, 6), graph.outputs().get(0).type());
        assertTrue(cat.location().file().contains("program.ts") || cat.location().line() == 13, cat.location().toString());
        assertTrue(tracer.accepts(source));
    }

    @Test
    void dataDependentControlFlowIsRefusedClearly() throws IOException {
        Path source = Files.writeString(dir.resolve("branchy.ts"), String.join("\n",
                "def forward(x: Tensor):",
                "    if bool(x.sum() > 0):",
                "        return x + 1",
                "    return x - 1",
                ""));
        TraceException e = assertThrows(TraceException.class, () -> tracer.trace(source, shapes(2)));
        assertTrue(e.getMessage().contains("branchy.ts") && e.getMessage().contains("which a static program cannot know"), e.getMessage());
        Path broken = Files.writeString(dir.resolve("broken.ts"), "def forward(x: Tensor):\n    return x +\n");
        TraceException syntax = assertThrows(TraceException.class, () -> tracer.trace(broken, shapes(2)));
        assertTrue(syntax.getMessage().contains("broken.ts") && syntax.getMessage().contains("does not compile"), syntax.getMessage());
    }

    @Test
    void acceptsTorchScriptArchivesAndSourceOnly() throws IOException {
        assertTrue(tracer.accepts(Fixtures.torchScript("bert")));
        assertFalse(tracer.accepts(Fixtures.directory("bert").resolve("model.pt2")));
        assertFalse(tracer.accepts(Fixtures.directory("bert").resolve("inputs.safetensors")));
        assertFalse(tracer.accepts(Fixtures.directory("bert").resolve("model.json")));
        assertEquals("torchscript", tracer.format());
    }

    private static TraceOptions shapes(long... shape) {
        return TraceOptions.defaults().withInputTypes(List.of(TensorType.of(DType.F32, shape)));
    }

    private static List<TensorType> types(Map<String, HostTensor> tensors) {
        List<TensorType> types = new ArrayList<>();
        tensors.values().forEach(t -> types.add(t.type()));
        return types;
    }
}
