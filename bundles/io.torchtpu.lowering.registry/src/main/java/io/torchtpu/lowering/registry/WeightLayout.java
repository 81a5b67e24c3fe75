package io.torchtpu.lowering.registry;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Graph.Constant;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stores weights in the layout the matrix kernels take, with an {@code aten::permute} node that gives the op
 * PyTorch's layout back: convolution weights kernel-last ({@code [kernel..., in, out]} for PyTorch's {@code [out,
 * in, kernel...]}), linear weights {@code [in, out]} for {@code [out, in]}.
 *
 * <p>Why: XLA's CPU kernels take a convolution's kernel as {@code [kernel..., in, out]} and a product's right
 * operand as {@code [in, out]}. With PyTorch's layouts in the program's signature, every run transposed every
 * weight first, or ran a slower transposed product; stored this way, the permute and XLA's transpose cancel.
 * Measured on 2 cores, the same programs with and without: MobileNetV2 (0.25 width, 64x64) 35% faster at batch
 * 1 and 32, ResNet-18 (16 wide) 10-25% faster at batch 1, the BERT fixture 26% faster at batch 1 and 13% at 32;
 * at full size ResNet-18 and MobileNetV2 1.2-2x faster, BERT-base 5% slower at batch 1 and even at 8 and 32.
 */
final class WeightLayout {
    /** The convolutions whose second input is the weight {@code [out, in / groups, kernel...]}. */
    private static final Set<String> CONVOLUTIONS = Set.of("aten::convolution", "aten::_convolution", "aten::conv1d", "aten::conv2d",
            "aten::conv3d", "aten::conv1d.padding", "aten::conv2d.padding", "aten::conv3d.padding");
    /** The products whose second input is the weight {@code [out, in]}. */
    private static final Set<String> LINEAR = Set.of("aten::linear");

    private WeightLayout() {
    }

    /** Whether input {@code index} of {@code node} is a weight this class stores in another layout. */
    private static boolean isWeightInput(Node node, int index) {
        return index == 1 && (LINEAR.contains(node.op()) && node.input(1).type().rank() == 2
                || CONVOLUTIONS.contains(node.op()) && !node.boolAttr("transposed", false) && node.input(1).type().rank() >= 3);
    }

    /**
     * The graph with each weight that only convolutions and linear layers read stored as their kernels take it;
     * the graph itself when there is none.
     */
    static Graph forKernels(Graph graph) {
        Map<String, Constant> parameters = new HashMap<>();
        for (Constant constant : graph.constants()) {
            if (constant.kind() == Constant.Kind.PARAMETER) {
                parameters.put(constant.value().name(), constant);
            }
        }
        Set<String> kernels = new HashSet<>();
        Set<String> otherUses = new HashSet<>(graph.outputs().stream().map(Value::name).toList());
        for (Node node : graph.nodes()) {
            for (int i = 0; i < node.inputs().size(); i++) {
                String name = node.inputs().get(i).name();
                if (isWeightInput(node, i)) {
                    kernels.add(name);
                } else {
                    otherUses.add(name);
                }
            }
        }
        kernels.retainAll(parameters.keySet());
        kernels.removeAll(otherUses);
        if (kernels.isEmpty()) {
            return graph;
        }
        Set<String> taken = new HashSet<>();
        graph.inputs().forEach(v -> taken.add(v.name()));
        graph.constants().forEach(c -> taken.add(c.value().name()));
        graph.nodes().forEach(n -> n.outputs().forEach(v -> taken.add(v.name())));
        List<Constant> constants = new ArrayList<>();
        List<Node> restores = new ArrayList<>();
        for (Constant constant : graph.constants()) {
            if (!kernels.contains(constant.value().name())) {
                constants.add(constant);
                continue;
            }
            int rank = constant.value().type().rank();
            long[] toStored = new long[rank];
            long[] back = new long[rank];
            for (int i = 0; i < rank - 2; i++) {
                toStored[i] = i + 2;
            }
            toStored[rank - 2] = 1;
            toStored[rank - 1] = 0;
            for (int i = 0; i < rank; i++) {
                back[(int) toStored[i]] = i;
            }
            HostTensor stored = permute(constant.data(), toStored);
            String name = constant.value().name() + "_for_kernels";
            while (!taken.add(name)) {
                name = name + "_";
            }
            Value storedValue = new Value(name, stored.type());
            constants.add(new Constant(storedValue, stored, Constant.Kind.PARAMETER));
            // the permute defines the original value, so every op reading it stays as it was
            restores.add(new Node("aten::permute", List.of(storedValue), List.of(constant.value()), Map.of("dims", back), null));
        }
        List<Node> nodes = new ArrayList<>(restores);
        nodes.addAll(graph.nodes());
        return Graph.of(graph.name(), graph.inputs(), constants, nodes, graph.outputs());
    }

    /** {@code tensor} with its dimensions reordered: output dimension {@code i} is input dimension {@code order[i]}. */
    static HostTensor permute(HostTensor tensor, long[] order) {
        TensorType type = tensor.type();
        int rank = type.rank();
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = type.dim((int) order[i]);
        }
        TensorType permuted = TensorType.of(type.dtype(), shape);
        int elementSize = type.dtype().byteSize();
        long[] inStrides = new long[rank];
        long stride = elementSize;
        for (int i = rank - 1; i >= 0; i--) {
            inStrides[i] = stride;
            stride *= type.dim(i);
        }
        // the input stride of each output dimension, walked in the output's row-major order
        long[] walk = new long[rank];
        for (int i = 0; i < rank; i++) {
            walk[i] = inStrides[(int) order[i]];
        }
        ByteBuffer source = tensor.data();
        HostTensor result = HostTensor.allocate(permuted);
        ByteBuffer target = result.data();
        long[] index = new long[rank];
        long offset = 0;
        byte[] element = new byte[elementSize];
        for (long written = 0, count = type.elementCount(); written < count; written++) {
            int at = (int) (written * elementSize);
            switch (elementSize) {
                case 4 -> target.putInt(at, source.getInt((int) offset));
                case 2 -> target.putShort(at, source.getShort((int) offset));
                case 8 -> target.putLong(at, source.getLong((int) offset));
                default -> target.put(at, source.get((int) offset, element), 0, elementSize);
            }
            for (int d = rank - 1; d >= 0; d--) {
                offset += walk[d];
                if (++index[d] < shape[d]) {
                    break;
                }
                offset -= walk[d] * shape[d];
                index[d] = 0;
            }
        }
        return result;
    }
}
