package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Convolutions, plain and transposed, of 1 to 3 spatial dimensions in PyTorch's layouts (input
 * {@code [batch, channels, spatial...]}, weight {@code [out, in / groups, kernel...]}). Every overload decodes its
 * attributes into one {@link Geometry}; one emission serves them all. f16 and bf16 compute in f32 and round once,
 * as PyTorch's CPU kernels accumulate.
 */
final class ConvolutionOps {
    private ConvolutionOps() {
    }

    /**
     * An {@code int[N]} attribute with one entry per spatial dimension: absent gives {@code defaultValue}, and a
     * single value applies to every dimension, as PyTorch expands it.
     */
    static long[] perSpatial(Node n, String name, int spatial, long defaultValue) {
        long[] values = new long[spatial];
        List<Long> given = n.has(name) ? n.intsAttr(name) : List.of();
        if (given.isEmpty()) {
            Arrays.fill(values, defaultValue);
        } else if (given.size() == 1) {
            Arrays.fill(values, given.get(0));
        } else if (given.size() == spatial) {
            values = Metas.longs(given);
        } else {
            throw new IllegalArgumentException(n.op() + ": " + name + "=" + given + " needs 1 or " + spatial
                    + " values, one per spatial dimension");
        }
        return values;
    }

    /** A convolution's shape facts, decoded once for the meta function and the emission alike. */
    record Geometry(int spatial, boolean unbatched, boolean transposed, long groups, long[] stride, long[] paddingLow,
            long[] paddingHigh, long[] dilation, long[] outputPadding, TensorType result) {
    }

    /** The spatial rank an overload fixes ({@code conv2d}: 2), or 0 for {@code convolution}, which takes it from the weight. */
    private static int spatialOf(String op) {
        for (int rank = 1; rank <= 3; rank++) {
            if (op.startsWith("aten::conv" + rank + "d") || op.startsWith("aten::conv_transpose" + rank + "d")) {
                return rank;
            }
        }
        return 0;
    }

    static Geometry geometry(Node n) {
        TensorType input = n.input(0).type();
        TensorType weight = n.input(1).type();
        int fixed = spatialOf(n.op());
        int spatial = fixed > 0 ? fixed : weight.rank() - 2;
        if (spatial < 1 || weight.rank() != spatial + 2) {
            throw new IllegalArgumentException(n.op() + ": weight " + weight + " must have rank " + (spatial + 2)
                    + " ([out, in / groups, kernel...] for " + Math.max(spatial, 1) + " spatial dimension(s))");
        }
        boolean unbatched = fixed > 0 && input.rank() == spatial + 1;
        if (input.rank() != spatial + 2 && !unbatched) {
            throw new IllegalArgumentException(n.op() + ": input " + input + " must have rank " + (spatial + 2)
                    + " ([batch, channels, spatial...])" + (fixed > 0 ? " or " + (spatial + 1) + " (unbatched)" : ""));
        }
        if (!input.dtype().isFloatingPoint() || input.dtype() != weight.dtype()) {
            throw new IllegalArgumentException(n.op() + ": input " + input + " and weight " + weight
                    + " must share one floating point dtype (convert them first)");
        }
        long[] inShape = unbatched ? prepend(1, input.shape()) : input.shape();
        boolean transposed = n.op().startsWith("aten::conv_transpose") || n.boolAttr("transposed", false);
        long groups = n.intAttr("groups", 1);
        long[] stride = perSpatial(n, "stride", spatial, 1);
        long[] dilation = perSpatial(n, "dilation", spatial, 1);
        long[] outputPadding = perSpatial(n, "output_padding", spatial, 0);
        long[] kernel = Arrays.copyOfRange(weight.shape(), 2, weight.rank());
        long[][] padding = padding(n, spatial, stride, dilation, kernel);
        long channels = inShape[1];
        long outChannels;
        if (groups < 1 || weight.dim(0) % groups != 0) {
            throw new IllegalArgumentException(n.op() + ": groups=" + groups + " must be positive and divide weight dimension 0 of " + weight);
        }
        if (transposed) {
            if (channels != weight.dim(0)) {
                throw new IllegalArgumentException(n.op() + ": input has " + channels + " channels but the transposed weight " + weight
                        + " expects " + weight.dim(0) + " ([in, out / groups, kernel...])");
            }
            outChannels = weight.dim(1) * groups;
        } else {
            if (channels != weight.dim(1) * groups) {
                throw new IllegalArgumentException(n.op() + ": input has " + channels + " channels but weight " + weight + " with groups="
                        + groups + " expects " + weight.dim(1) * groups);
            }
            outChannels = weight.dim(0);
        }
        long[] shape = new long[spatial + 2];
        shape[0] = inShape[0];
        shape[1] = outChannels;
        for (int i = 0; i < spatial; i++) {
            long window = dilation[i] * (kernel[i] - 1) + 1;
            long in = inShape[i + 2];
            long size = transposed
                    ? (in - 1) * stride[i] - padding[0][i] - padding[1][i] + window + outputPadding[i]
                    : Math.floorDiv(in + padding[0][i] + padding[1][i] - window, stride[i]) + 1;
            if (size < 1 || stride[i] < 1 || dilation[i] < 1) {
                throw new IllegalArgumentException(n.op() + ": spatial dimension " + i + " of input " + input + " gives output size " + size
                        + " with kernel " + kernel[i] + ", stride " + stride[i] + ", dilation " + dilation[i]
                        + " and padding " + padding[0][i] + "/" + padding[1][i] + " (pad the input or use a smaller kernel)");
            }
            shape[i + 2] = size;
        }
        if (n.inputs().size() > 2 && !Arrays.equals(n.input(2).type().shape(), new long[] {outChannels})) {
            throw new IllegalArgumentException(n.op() + ": bias " + n.input(2).type() + " must have shape [" + outChannels + "]");
        }
        TensorType result = TensorType.of(input.dtype(), unbatched ? Arrays.copyOfRange(shape, 1, shape.length) : shape);
        return new Geometry(spatial, unbatched, transposed, groups, stride, padding[0], padding[1], dilation, outputPadding, result);
    }

    /**
     * Low and high padding per spatial dimension: {@code int[]} padding is symmetric; the string forms of the
     * {@code .padding} overloads are "valid" (none) and "same" (total {@code dilation * (kernel - 1)}, the odd one
     * extra at the end, as PyTorch pads).
     */
    private static long[][] padding(Node n, int spatial, long[] stride, long[] dilation, long[] kernel) {
        Object given = n.attributes().get("padding");
        if (!(given instanceof String mode)) {
            long[] symmetric = perSpatial(n, "padding", spatial, 0);
            return new long[][] {symmetric, symmetric.clone()};
        }
        long[] low = new long[spatial];
        long[] high = new long[spatial];
        switch (mode) {
            case "valid" -> {
            }
            case "same" -> {
                for (int i = 0; i < spatial; i++) {
                    if (stride[i] != 1) {
                        throw new IllegalArgumentException(n.op() + ": padding='same' needs stride 1, got stride "
                                + Arrays.toString(stride) + " (give explicit padding instead)");
                    }
                    long total = dilation[i] * (kernel[i] - 1);
                    low[i] = total / 2;
                    high[i] = total - low[i];
                }
            }
            default -> throw new IllegalArgumentException(n.op() + ": padding='" + mode + "' is not 'same', 'valid' or a list of ints");
        }
        return new long[][] {low, high};
    }

    private static long[] prepend(long first, long[] rest) {
        long[] all = new long[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static long[] ones(int count) {
        long[] ones = new long[count];
        Arrays.fill(ones, 1);
        return ones;
    }

    /**
     * A transposed convolution is the plain one over the input dilated by the stride, with the kernel's in and out
     * channels swapped within each group and its window reversed, padded by {@code dilation * (kernel - 1) - padding}.
     */
    private static HloValue transposedConvolution(FunctionBuilder b, HloValue input, HloValue weight, Geometry g) {
        long[] w = weight.shape();
        long[] kernel = Arrays.copyOfRange(w, 2, w.length);
        long perGroupIn = w[0] / g.groups();
        long[] grouped = concat(new long[] {g.groups(), perGroupIn, w[1]}, kernel);
        long[] swap = ReductionOps.identity(grouped.length);
        swap[1] = 2;
        swap[2] = 1;
        HloValue swapped = b.transpose(b.reshape(weight, grouped), swap);
        HloValue flipped = b.reshape(swapped, concat(new long[] {g.groups() * w[1], perGroupIn}, kernel));
        long[] spatialDims = new long[g.spatial()];
        for (int i = 0; i < g.spatial(); i++) {
            spatialDims[i] = i + 2;
        }
        flipped = b.reverse(flipped, spatialDims);
        long[] low = new long[g.spatial()];
        long[] high = new long[g.spatial()];
        for (int i = 0; i < g.spatial(); i++) {
            long reach = g.dilation()[i] * (kernel[i] - 1);
            low[i] = reach - g.paddingLow()[i];
            high[i] = reach - g.paddingHigh()[i] + g.outputPadding()[i];
        }
        return b.convolution(input, flipped, ones(g.spatial()), low, high, g.stride(), g.dilation(), g.groups(), 1);
    }

    private static long[] concat(long[] first, long[] second) {
        long[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    /**
     * Whether a plain convolution's kernel covers more positions than its input has: small feature maps late in a
     * CNN (a 3x3 kernel over 2x2). XLA then swaps the operands (the activations become the kernel, reversed), a
     * form its CPU backend has no library kernel for: a scalar loop that took two thirds of ResNet-18's time on
     * 64x64 images. Such a convolution is a small matrix product over patches instead.
     */
    static boolean kernelOutgrowsInput(Geometry g, long[] inputShape, long[] weightShape) {
        if (g.transposed() || g.groups() != 1) {
            return false;
        }
        long kernelPositions = 1;
        long inputPositions = 1;
        for (int i = 0; i < g.spatial(); i++) {
            kernelPositions *= weightShape[i + 2];
            inputPositions *= inputShape[i + 2];
        }
        return kernelPositions > inputPositions;
    }

    /**
     * A depthwise convolution (one input channel per group, one output channel per input channel): MobileNet's
     * 3x3 stages. XLA's CPU backend runs grouped convolutions group by group; as a sum over kernel positions of
     * the shifted input times that position's per-channel weight it is one fused elementwise loop.
     */
    static boolean isDepthwise(Geometry g, long[] inputShape, long[] weightShape) {
        return !g.transposed() && g.groups() > 1 && g.groups() == inputShape[1] && weightShape[0] == g.groups() && weightShape[1] == 1;
    }

    /** The permutation from {@code [batch, channels, spatial...]} to {@code [batch, spatial..., channels]}. */
    static long[] toChannelsLast(int spatial) {
        long[] order = new long[spatial + 2];
        order[spatial + 1] = 1;
        for (int i = 0; i < spatial; i++) {
            order[i + 1] = i + 2;
        }
        return order;
    }

    /** A spatial-only vector widened to {@code [batch, spatial..., channels]}: {@code fill} on batch and channels. */
    static long[] channelsLast(long[] spatial, long fill) {
        long[] all = new long[spatial.length + 2];
        Arrays.fill(all, fill);
        System.arraycopy(spatial, 0, all, 1, spatial.length);
        return all;
    }

    /** The permutation back from {@code [batch, spatial..., channels]} to {@code [batch, channels, spatial...]}. */
    static long[] toChannelsFirst(int spatial) {
        long[] order = new long[spatial + 2];
        order[1] = spatial + 1;
        for (int i = 0; i < spatial; i++) {
            order[i + 2] = i + 1;
        }
        return order;
    }

    /**
     * The padded input's strided windows, one per kernel position in row-major order, each shaped
     * {@code [batch, out spatial..., in]}: what the kernel's element at that position multiplies. Channels-last,
     * so that the work on each window runs along contiguous channels, and XLA, which gives its convolutions that
     * layout, keeps the activations in it instead of transposing them out and back.
     */
    private static List<HloValue> channelsLastWindows(FunctionBuilder b, HloValue input, long[] kernel, Geometry g) {
        int spatial = g.spatial();
        HloValue channelsLast = b.transpose(input, toChannelsLast(spatial));
        long[] out = Arrays.copyOfRange(g.result().shape(), g.unbatched() ? 1 : 2, g.result().rank());
        HloValue padded = b.pad(channelsLast, b.constant(TensorType.of(input.dtype()), 0.0), channelsLast(g.paddingLow(), 0),
                channelsLast(g.paddingHigh(), 0), new long[spatial + 2]);
        long[] strides = channelsLast(g.stride(), 1);
        long positions = Arrays.stream(kernel).reduce(1, (x, y) -> x * y);
        List<HloValue> windows = new ArrayList<>();
        for (long position = 0; position < positions; position++) {
            long[] start = new long[spatial + 2];
            long[] limit = padded.shape().clone();
            long rest = position;
            for (int i = spatial - 1; i >= 0; i--) {
                long offset = (rest % kernel[i]) * g.dilation()[i];
                rest /= kernel[i];
                start[i + 1] = offset;
                limit[i + 1] = offset + (out[i] - 1) * g.stride()[i] + 1;
            }
            windows.add(b.slice(padded, start, limit, strides));
        }
        return windows;
    }

    /**
     * A convolution as one matrix product: the windows stacked as {@code [batch, out spatial..., kernel
     * positions, in]}, contracted over (kernel position, in) with the weight viewed as {@code [kernel positions,
     * in, out]}, then moved to {@code [batch, out, spatial...]}.
     */
    private static HloValue patchConvolution(FunctionBuilder b, HloValue input, HloValue weight, Geometry g) {
        int spatial = g.spatial();
        long[] kernel = Arrays.copyOfRange(weight.shape(), 2, weight.rank());
        List<HloValue> patches = new ArrayList<>();
        for (HloValue window : channelsLastWindows(b, input, kernel, g)) {
            long[] shape = window.shape();
            long[] withPosition = Arrays.copyOf(shape, shape.length + 1);
            withPosition[shape.length - 1] = 1;
            withPosition[shape.length] = shape[shape.length - 1];
            patches.add(b.reshape(window, withPosition));
        }
        HloValue stacked = b.concatenate(patches, spatial + 1);
        long outChannels = weight.shape()[0];
        // [out, in, positions] -> [positions, in, out]
        HloValue flatWeight = b.transpose(b.reshape(weight, outChannels, input.shape()[1], patches.size()), new long[] {2, 1, 0});
        // [batch, out spatial..., out channels]
        HloValue product = b.dotGeneral(stacked, flatWeight, new long[0], new long[0], new long[] {spatial + 1, spatial + 2},
                new long[] {0, 1});
        return b.transpose(product, toChannelsFirst(spatial));
    }

    /** Strided convolutions over at most this many channels once folded (channels × stride positions) go through {@link #spaceToDepthConvolution}. */
    static final long SPACE_TO_DEPTH_MAX_CHANNELS = 16;

    /**
     * Whether a strided convolution reads so few channels that XLA's CPU kernels run it far below their speed:
     * the RGB stems of ResNet (7x7, stride 2) and MobileNet (3x3, stride 2), 1.5x faster at batch 32 once the
     * stride is folded into the channels. Wider inputs are faster as they are.
     */
    static boolean foldsStrideIntoChannels(Geometry g, long[] inputShape) {
        if (g.transposed() || g.groups() != 1 || Arrays.stream(g.dilation()).anyMatch(d -> d != 1) || Arrays.stream(g.stride()).allMatch(s -> s == 1)) {
            return false;
        }
        return inputShape[1] * Arrays.stream(g.stride()).reduce(1, (x, y) -> x * y) <= SPACE_TO_DEPTH_MAX_CHANNELS;
    }

    /**
     * Splits each spatial dimension of {@code value} ({@code [lead, channels, spatial...]}, every spatial size a
     * multiple of its stride) into (size / stride, stride) and moves the stride phases into the channels:
     * {@code [lead, channels * stride positions, spatial / stride...]}, channel-major.
     */
    private static HloValue spaceToDepth(FunctionBuilder b, HloValue value, long[] stride) {
        int spatial = stride.length;
        long[] shape = value.shape();
        long[] split = new long[2 + 2 * spatial];
        long[] folded = new long[2 + spatial];
        long[] order = new long[2 + 2 * spatial];
        split[0] = shape[0];
        split[1] = shape[1];
        folded[0] = shape[0];
        folded[1] = shape[1];
        order[1] = 1;
        for (int i = 0; i < spatial; i++) {
            split[2 + 2 * i] = shape[2 + i] / stride[i];
            split[3 + 2 * i] = stride[i];
            folded[1] *= stride[i];
            folded[2 + i] = shape[2 + i] / stride[i];
            order[2 + i] = 3 + 2 * i; // the phases follow the channel
            order[2 + spatial + i] = 2 + 2 * i;
        }
        return b.reshape(b.transpose(b.reshape(value, split), order), folded);
    }

    /**
     * A strided convolution as a stride-1 one over the space-to-depth input: the input padded to cover every
     * window, the kernel zero-padded to a multiple of the stride, and both folded by {@link #spaceToDepth}. The
     * same products and sums, with {@code stride positions} times the channels for the kernels to vectorize over.
     */
    private static HloValue spaceToDepthConvolution(FunctionBuilder b, HloValue input, HloValue weight, Geometry g) {
        int spatial = g.spatial();
        long[] in = input.shape();
        long[] w = weight.shape();
        long[] out = Arrays.copyOfRange(g.result().shape(), g.unbatched() ? 1 : 2, g.result().rank());
        long[] inputHigh = new long[in.length];
        long[] kernelHigh = new long[w.length];
        long[] inputLow = new long[in.length];
        for (int i = 0; i < spatial; i++) {
            long kernel = (w[i + 2] + g.stride()[i] - 1) / g.stride()[i] * g.stride()[i];
            kernelHigh[i + 2] = kernel - w[i + 2];
            inputLow[i + 2] = g.paddingLow()[i];
            // may be negative: the rows past the last window are dropped
            inputHigh[i + 2] = (out[i] - 1) * g.stride()[i] + kernel - in[i + 2] - g.paddingLow()[i];
        }
        HloValue zero = b.constant(TensorType.of(input.dtype()), 0.0);
        HloValue paddedInput = b.pad(input, zero, inputLow, inputHigh, new long[in.length]);
        HloValue paddedWeight = b.pad(weight, zero, new long[w.length], kernelHigh, new long[w.length]);
        return b.convolution(spaceToDepth(b, paddedInput, g.stride()), spaceToDepth(b, paddedWeight, g.stride()), ones(spatial),
                new long[spatial], new long[spatial], ones(spatial), ones(spatial), 1, 1);
    }

    /**
     * A depthwise convolution as the sum over kernel positions of each window times that position's weights,
     * channels-last so that each product runs along contiguous channels against one weight vector.
     */
    private static HloValue depthwiseConvolution(FunctionBuilder b, HloValue input, HloValue weight, Geometry g) {
        int spatial = g.spatial();
        long[] kernel = Arrays.copyOfRange(weight.shape(), 2, weight.rank());
        long channels = weight.shape()[0];
        HloValue perPosition = b.reshape(weight, channels, Arrays.stream(kernel).reduce(1, (x, y) -> x * y));
        HloValue sum = null;
        List<HloValue> windows = channelsLastWindows(b, input, kernel, g);
        for (int position = 0; position < windows.size(); position++) {
            HloValue window = windows.get(position);
            HloValue weights = b.reshape(b.slice(perPosition, new long[] {0, position}, new long[] {channels, position + 1}, new long[] {1, 1}),
                    channels);
            HloValue term = b.multiply(window, b.broadcastInDim(weights, window.shape(), new long[] {spatial + 1}));
            sum = sum == null ? term : b.add(sum, term);
        }
        return b.transpose(sum, toChannelsFirst(spatial));
    }

    private static AtenOp convolution(String... ops) {
        return op(ops).meta((n, p) -> List.of(geometry(n).result())).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            Geometry g = geometry(n);
            DType dtype = x.get(0).dtype();
            HloValue input = Metas.upcast(b, x.get(0));
            if (g.unbatched()) {
                input = b.reshape(input, prepend(1, input.shape()));
            }
            HloValue weight = Metas.upcast(b, x.get(1));
            boolean patches = kernelOutgrowsInput(g, input.shape(), weight.shape());
            boolean depthwise = isDepthwise(g, input.shape(), weight.shape());
            boolean spaceToDepth = !patches && !depthwise && foldsStrideIntoChannels(g, input.shape());
            HloValue out = g.transposed() ? transposedConvolution(b, input, weight, g)
                    : patches ? patchConvolution(b, input, weight, g)
                    : depthwise ? depthwiseConvolution(b, input, weight, g)
                    : spaceToDepth ? spaceToDepthConvolution(b, input, weight, g)
                    : b.convolution(input, weight, g.stride(), g.paddingLow(), g.paddingHigh(), ones(g.spatial()), g.dilation(), g.groups(), 1);
            if (patches || spaceToDepth) {
                // the plain convolution too, for a backend whose kernels take it as it is (oneDNN: ResNet-18's
                // stem 1.3x and its 3x3 layers over 2x2 maps faster than these forms); dead code to the others
                b.convolutionAlternativeTo(out, input, weight, g.stride(), g.paddingLow(), g.paddingHigh(), ones(g.spatial()),
                        g.dilation(), g.groups());
            }
            if (x.size() > 2) {
                HloValue bias = b.convert(x.get(2), out.dtype());
                out = b.add(out, b.broadcastInDim(bias, out.shape(), new long[] {1}));
            }
            out = b.convert(out, dtype);
            return g.unbatched() ? b.reshape(out, g.result().shape()) : out;
        });
    }

    /** {@code convolution(input, weight, bias?, stride, padding, dilation, transposed, output_padding, groups)}: the Core ATen form. */
    static final AtenOp CONVOLUTION = convolution("aten::convolution", "aten::_convolution");

    /** The composite forms torch.export writes by default; {@code .padding} takes padding as "same" or "valid". */
    static final AtenOp CONV_ND = convolution("aten::conv1d", "aten::conv2d", "aten::conv3d",
            "aten::conv1d.padding", "aten::conv2d.padding", "aten::conv3d.padding");

    /** {@code conv_transposeNd.input(input, weight, bias?, stride, padding, output_padding, groups, dilation)}. */
    static final AtenOp CONV_TRANSPOSE_ND = convolution("aten::conv_transpose1d", "aten::conv_transpose2d.input",
            "aten::conv_transpose3d.input");
}
