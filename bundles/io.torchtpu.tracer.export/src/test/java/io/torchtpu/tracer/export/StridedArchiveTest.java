package io.torchtpu.tracer.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/** strided.pt2 (make_archives.py): views, offsets, constants, multi-output and tensor-list ops. */
class StridedArchiveTest {
    private final ExportTracer tracer = new ExportTracer();
    private final Graph graph = tracer.trace(Fixtures.archive("strided.pt2"), TraceOptions.defaults());

    private Graph.Constant constant(String name) {
        return graph.constants().stream().filter(c -> c.value().name().equals(name)).findFirst().orElseThrow();
    }

    private Node node(String op) {
        return graph.nodes().stream().filter(n -> n.op().equals(op)).findFirst().orElseThrow();
    }

    @Test
    void aTransposedParameterIsMadeContiguous() {
        Graph.Constant weight = constant("p_weight");
        assertEquals(TensorType.of(DType.F32, 4, 3), weight.value().type());
        float[] expected = new float[12];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                expected[i * 3 + j] = 4 * j + i; // arange(12).reshape(3, 4).t()
            }
        }
        assertArrayEquals(expected, weight.data().toFloatArray());
    }

    @Test
    void aBufferStartsAtItsStorageOffset() {
        Graph.Constant shift = constant("b_shift");
        assertEquals(Graph.Constant.Kind.PARAMETER, shift.kind());
        assertArrayEquals(new float[] {2, 3, 4}, shift.data().toFloatArray()); // arange(10)[2:5]
    }

    @Test
    void aSmallTensorConstantIsInline() {
        Graph.Constant index = constant("c_index");
        assertEquals(Graph.Constant.Kind.INLINE, index.kind());
        assertEquals(TensorType.of(DType.I64, 2), index.value().type());
        var data = index.data().data();
        assertEquals(2, data.getLong(0));
        assertEquals(0, data.getLong(8));
    }

    @Test
    void splitKeepsEveryOutputAndCatTakesATensorList() {
        Node split = node("aten::split_with_sizes");
        assertEquals(List.of("getitem", "getitem_1"), split.outputs().stream().map(Value::name).toList());
        assertEquals(List.of(1L, 2L), split.intsAttr("split_sizes"));
        Node cat = node("aten::cat");
        assertEquals(List.of("getitem_1", "mul"), cat.inputs().stream().map(Value::name).toList());
        assertEquals(List.of(0L, 1L), cat.intsAttr("tensors"));
        assertEquals(1, cat.intAttr("dim"));
        assertEquals(0.5, node("aten::mul.Tensor").floatAttr("other", 0), 0);
    }

    @Test
    void anOptionalTensorListMarksItsNones() {
        Node index = node("aten::index.Tensor");
        assertEquals(List.of("cat", "c_index"), index.inputs().stream().map(Value::name).toList());
        assertEquals(List.of(-1L, 1L), index.intsAttr("indices"));
    }

    @Test
    void outputsKeepTheirOrderAndTypes() {
        assertEquals(List.of(TensorType.of(DType.F32, 2, 2), TensorType.of(DType.I64, 2)),
                graph.outputs().stream().map(Value::type).toList());
        assertTrue(node("aten::matmul").location().file().endsWith("make_archives.py"), node("aten::matmul").location().toString());
    }

    @Test
    void requestedInputTypesAreCheckedAgainstTheExport() {
        assertEquals(graph.inputs().size(), tracer.trace(Fixtures.archive("strided.pt2"),
                TraceOptions.defaults().withInputTypes(List.of(TensorType.of(DType.F32, 2, 4)))).inputs().size());
        TraceException e = assertThrows(TraceException.class, () -> tracer.trace(Fixtures.archive("strided.pt2"),
                TraceOptions.defaults().withInputTypes(List.of(TensorType.of(DType.F32, 3, 4)))));
        assertTrue(e.getMessage().contains("tensor<2x4xf32>") && e.getMessage().contains("tensor<3x4xf32>"), e.getMessage());
    }

    @Test
    void theServiceNamesItsFormatAndRecognizesArchivesByContent() {
        assertEquals("pt2", tracer.format());
        assertTrue(tracer.accepts(Fixtures.archive("strided.pt2")));
        assertTrue(tracer.accepts(Fixtures.model("bert").resolve("model.pt2")));
        assertFalse(tracer.accepts(Fixtures.model("bert").resolve("model.pt")), "a TorchScript archive");
        assertFalse(tracer.accepts(Fixtures.model("bert").resolve("model.json")));
    }
}
