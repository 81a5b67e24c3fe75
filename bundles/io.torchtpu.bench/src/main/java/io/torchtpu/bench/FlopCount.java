package io.torchtpu.bench;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Node;

/**
 * The multiply-add work of a graph: 2 FLOPs per multiply-accumulate of its matrix products and convolutions,
 * which is how the sgemm peak is counted too. Elementwise work is left out: it does not compare with sgemm.
 */
final class FlopCount {
    private FlopCount() {
    }

    static long of(Graph graph) {
        long flops = 0;
        for (Node node : graph.nodes()) {
            flops += of(node);
        }
        return flops;
    }

    static long of(Node node) {
        String op = node.op();
        int dot = op.indexOf('.', op.indexOf("::") + 2);
        String base = dot < 0 ? op : op.substring(0, dot);
        if (node.outputs().isEmpty() || node.inputs().isEmpty()) {
            return 0;
        }
        TensorType out = node.outputs().get(0).type();
        return switch (base) {
            // out [..., N] from x [..., K]: one multiply-add per output element and K
            case "aten::linear", "aten::matmul", "aten::mm", "aten::bmm" -> {
                TensorType x = node.input(0).type();
                yield x.rank() == 0 ? 0 : 2 * out.elementCount() * x.dim(x.rank() - 1);
            }
            case "aten::addmm", "aten::baddbmm" -> {
                TensorType x = node.input(1).type();
                yield 2 * out.elementCount() * x.dim(x.rank() - 1);
            }
            // weight [Cout, Cin/groups, k...]: each output element takes Cin/groups * prod(k) multiply-adds
            case "aten::convolution", "aten::_convolution", "aten::conv1d", "aten::conv2d", "aten::conv3d" -> {
                if (node.inputs().size() < 2) {
                    yield 0;
                }
                TensorType weight = node.input(1).type();
                long perOutput = weight.elementCount() / Math.max(1, weight.dim(0));
                yield 2 * out.elementCount() * perOutput;
            }
            default -> 0;
        };
    }
}
