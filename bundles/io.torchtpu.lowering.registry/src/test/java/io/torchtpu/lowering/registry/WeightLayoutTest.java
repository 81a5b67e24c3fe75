package io.torchtpu.lowering.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.GraphBuilder;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Value;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class WeightLayoutTest {
    private static HostTensor counting(long... shape) {
        HostTensor tensor = HostTensor.allocate(TensorType.of(DType.F32, shape));
        ByteBuffer data = tensor.data();
        for (int i = 0; i < tensor.type().elementCount(); i++) {
            data.putFloat(i * 4, i);
        }
        return tensor;
    }

    @Test
    void permuteMovesEveryElementToItsPermutedIndex() {
        HostTensor tensor = counting(2, 3, 4);
        HostTensor permuted = WeightLayout.permute(tensor, new long[] {2, 0, 1});
        assertArrayEquals(new long[] {4, 2, 3}, permuted.type().shape());
        float[] values = permuted.toFloatArray();
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 2; b++) {
                for (int c = 0; c < 3; c++) {
                    // permuted[a][b][c] = tensor[b][c][a]
                    assertEquals(b * 12 + c * 4 + a, values[a * 6 + b * 3 + c], "at " + a + "," + b + "," + c);
                }
            }
        }
        HostTensor halves = HostTensor.allocate(TensorType.of(DType.BF16, 2, 3));
        for (int i = 0; i < 6; i++) {
            halves.data().putShort(i * 2, (short) i);
        }
        HostTensor transposed = WeightLayout.permute(halves, new long[] {1, 0});
        short[] expected = {0, 3, 1, 4, 2, 5};
        for (int i = 0; i < 6; i++) {
            assertEquals(expected[i], transposed.data().getShort(i * 2));
        }
    }

    @Test
    void aConvolutionWeightIsStoredKernelLastAndPermutedBack() {
        GraphBuilder builder = new GraphBuilder("conv");
        Value x = builder.input("x", TensorType.of(DType.F32, 1, 3, 8, 8));
        HostTensor weight = counting(4, 3, 3, 2);
        Value w = builder.parameter("w", weight);
        Value y = builder.op("aten::conv2d", x, w).attr("padding", List.of(1L, 1L)).output(TensorType.of(DType.F32, 1, 4, 8, 9));
        Graph graph = builder.output(y).build();

        Graph prepared = WeightLayout.forKernels(graph);
        Graph.Constant stored = prepared.constants().get(0);
        assertEquals("w_for_kernels", stored.value().name());
        assertArrayEquals(new long[] {3, 2, 3, 4}, stored.value().type().shape());
        assertEquals(Graph.Constant.Kind.PARAMETER, stored.kind());
        Node restore = prepared.nodes().get(0);
        assertEquals("aten::permute", restore.op());
        assertEquals(List.of(3L, 2L, 0L, 1L), restore.intsAttr("dims"));
        assertEquals(w, restore.output(), "the permute defines the weight the convolution reads, unchanged");
        assertEquals(graph.nodes().get(0), prepared.nodes().get(1));
        // stored[kh][kw][in][out] = weight[out][in][kh][kw]
        float[] values = stored.data().toFloatArray();
        assertEquals(1 * 18 + 2 * 6 + 1 * 2 + 0, values[((1 * 2 + 0) * 3 + 2) * 4 + 1], "element out 1, in 2, kh 1, kw 0");
    }

    @Test
    void aLinearWeightIsStoredInByOut() {
        GraphBuilder builder = new GraphBuilder("linear");
        Value x = builder.input("x", TensorType.of(DType.F32, 2, 3));
        Value w = builder.parameter("w", counting(4, 3));
        Value b = builder.parameter("b", counting(4));
        Value y = builder.op("aten::linear", x, w, b).output(TensorType.of(DType.F32, 2, 4));
        Graph prepared = WeightLayout.forKernels(builder.output(y).build());
        Graph.Constant stored = prepared.constants().get(0);
        assertArrayEquals(new long[] {3, 4}, stored.value().type().shape());
        assertArrayEquals(new float[] {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}, stored.data().toFloatArray());
        assertEquals(List.of(1L, 0L), prepared.nodes().get(0).intsAttr("dims"));
        assertEquals(b, prepared.constants().get(1).value(), "the bias is read as it is");
    }

    @Test
    void weightsReadOtherwiseAndTransposedConvolutionsAreLeftAlone() {
        GraphBuilder builder = new GraphBuilder("mixed");
        Value x = builder.input("x", TensorType.of(DType.F32, 1, 2, 5, 5));
        Value shared = builder.parameter("shared", counting(2, 2, 3, 3));
        Value conv = builder.op("aten::conv2d", x, shared).output(TensorType.of(DType.F32, 1, 2, 3, 3));
        Value doubled = builder.op("aten::add.Tensor", shared, shared).output(shared.type());
        Value up = builder.parameter("up", counting(2, 2, 3, 3));
        Value transposed = builder.op("aten::convolution", x, up).attr("transposed", true).output(TensorType.of(DType.F32, 1, 2, 7, 7));
        Graph graph = builder.output(conv, doubled, transposed).build();
        assertSame(graph, WeightLayout.forKernels(graph));
    }
}
