package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Max, average and adaptive average pooling over the trailing 1 to 3 spatial dimensions of {@code [batch,
 * channels, spatial...]} or unbatched {@code [channels, spatial...]} inputs, as {@code reduce_window}s whose window
 * is 1 on the leading dimensions.
 */
final class PoolingOps {
    private PoolingOps() {
    }

    /** The spatial rank an overload fixes ({@code max_pool2d}: 2). */
    private static int spatialOf(Node n) {
        for (int rank = 1; rank <= 3; rank++) {
            if (n.op().contains("pool" + rank + "d")) {
                return rank;
            }
        }
        throw new IllegalStateException(n.op() + " names no spatial rank");
    }

    /** A pooling window over the spatial dimensions, and the output sizes it gives for the input's. */
    record Window(int spatial, long[] kernel, long[] stride, long[] padding, long[] dilation, long[] inputSizes, long[] outputSizes) {
        /** High padding that makes {@code reduce_window} give exactly {@link #outputSizes} (the ceil_mode windows included). */
        long[] paddingHigh() {
            long[] high = new long[spatial];
            for (int i = 0; i < spatial; i++) {
                long span = (outputSizes[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1;
                high[i] = Math.max(0, span - inputSizes[i] - padding[i]);
            }
            return high;
        }
    }

    /** The input's leading (batch and channel) dimensions: 1 or 2. */
    private static int leading(Node n, TensorType input, int spatial) {
        if (input.rank() != spatial + 1 && input.rank() != spatial + 2) {
            throw new IllegalArgumentException(n.op() + ": input " + input + " must have rank " + (spatial + 1) + " or " + (spatial + 2)
                    + " ([batch,] channels, " + spatial + " spatial dimension(s))");
        }
        return input.rank() - spatial;
    }

    /** PyTorch's pooling output size; a ceil_mode window must start inside the input or its left padding. */
    static long outputSize(long in, long kernel, long stride, long pad, long dilation, boolean ceilMode) {
        long numerator = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
        long size = Math.floorDiv(numerator, stride) + 1;
        if (ceilMode && (size - 1) * stride >= in + pad) {
            size--;
        }
        return size;
    }

    /** Decodes kernel_size, stride (empty means the kernel), padding, dilation and ceil_mode. */
    static Window window(Node n, TensorType input, boolean dilated) {
        int spatial = spatialOf(n);
        int leading = leading(n, input, spatial);
        if (!n.has("kernel_size")) {
            throw new IllegalArgumentException(n.op() + " needs attribute kernel_size");
        }
        long[] kernel = ConvolutionOps.perSpatial(n, "kernel_size", spatial, 1);
        boolean strideGiven = n.has("stride") && !n.intsAttr("stride").isEmpty();
        long[] stride = strideGiven ? ConvolutionOps.perSpatial(n, "stride", spatial, 1) : kernel.clone();
        long[] padding = ConvolutionOps.perSpatial(n, "padding", spatial, 0);
        long[] dilation = dilated ? ConvolutionOps.perSpatial(n, "dilation", spatial, 1) : ones(spatial);
        boolean ceilMode = n.boolAttr("ceil_mode", false);
        long[] in = Arrays.copyOfRange(input.shape(), leading, input.rank());
        long[] out = new long[spatial];
        for (int i = 0; i < spatial; i++) {
            long effective = dilation[i] * (kernel[i] - 1) + 1;
            if (kernel[i] < 1 || stride[i] < 1 || dilation[i] < 1 || padding[i] < 0 || padding[i] > (dilated ? effective : kernel[i]) / 2) {
                throw new IllegalArgumentException(n.op() + ": kernel " + Arrays.toString(kernel) + ", stride " + Arrays.toString(stride)
                        + ", dilation " + Arrays.toString(dilation) + " must be positive and padding " + Arrays.toString(padding)
                        + " at most half the kernel");
            }
            out[i] = outputSize(in[i], kernel[i], stride[i], padding[i], dilation[i], ceilMode);
            if (out[i] < 1) {
                throw new IllegalArgumentException(n.op() + ": input " + input + " is smaller than the window " + Arrays.toString(kernel)
                        + " in spatial dimension " + i + " (pad it or use a smaller kernel)");
            }
        }
        return new Window(spatial, kernel, stride, padding, dilation, in, out);
    }

    private static long[] ones(int count) {
        long[] ones = new long[count];
        Arrays.fill(ones, 1);
        return ones;
    }

    /** A spatial-only vector widened to the input's rank: {@code fill} on the leading dimensions. */
    private static long[] full(int rank, long[] spatial, long fill) {
        long[] all = new long[rank];
        Arrays.fill(all, fill);
        System.arraycopy(spatial, 0, all, rank - spatial.length, spatial.length);
        return all;
    }

    private static TensorType pooledType(TensorType input, Window w, DType dtype) {
        long[] shape = input.shape();
        System.arraycopy(w.outputSizes(), 0, shape, shape.length - w.spatial(), w.spatial());
        return TensorType.of(dtype, shape);
    }

    /** The sliding windows of {@code inputs}, padded with their inits, combined by {@code body}. */
    private static List<HloValue> slide(FunctionBuilder b, List<HloValue> inputs, List<HloValue> inits, Window w, FunctionBuilder.Body body) {
        int rank = inputs.get(0).rank();
        return b.reduceWindow(inputs, inits, full(rank, w.kernel(), 1), full(rank, w.stride(), 1), ones(rank),
                full(rank, w.dilation(), 1), full(rank, w.padding(), 0), full(rank, w.paddingHigh(), 0), body);
    }

    // ---- max pooling ------------------------------------------------------------------------------

    /** Windows with at most this many positions along all spatial dimensions together pool as strided slices. */
    static final long SLICED_POOLING_MAX_TAPS = 16;

    /**
     * Max pooling; a batched input pools channels-last, between two transposes that XLA folds into the
     * channels-last layout it gives the convolutions around it (pooling in PyTorch's layout made it transpose the
     * activations out and back). A small window pools as {@link #separableMax}.
     */
    private static HloValue maxPool(FunctionBuilder b, HloValue x, Window w) {
        HloValue lowest = ReductionOps.lowest(b, x.dtype());
        FunctionBuilder.Body body = (r, a) -> List.of(ReductionOps.nanPropagating(r, r::maximum).apply(a.get(0), a.get(1)));
        int rank = x.rank();
        if (rank != w.spatial() + 2) {
            return slide(b, List.of(x), List.of(lowest), w, body).get(0);
        }
        HloValue channelsLast = b.transpose(x, ConvolutionOps.toChannelsLast(w.spatial()));
        HloValue pooled = Arrays.stream(w.kernel()).sum() <= SLICED_POOLING_MAX_TAPS ? separableMax(b, channelsLast, lowest, w)
                : b.reduceWindow(List.of(channelsLast), List.of(lowest), ConvolutionOps.channelsLast(w.kernel(), 1),
                        ConvolutionOps.channelsLast(w.stride(), 1), ones(rank), ConvolutionOps.channelsLast(w.dilation(), 1),
                        ConvolutionOps.channelsLast(w.padding(), 0), ConvolutionOps.channelsLast(w.paddingHigh(), 0), body).get(0);
        return b.transpose(pooled, ConvolutionOps.toChannelsFirst(w.spatial()));
    }

    /**
     * Max pooling of a channels-last {@code [batch, spatial..., channels]} input one spatial dimension at a time,
     * each the maximum of the strided slices at the kernel's positions along it (a rectangular window's maximum
     * is the maximum of its rows' maxima): one fused loop along contiguous channels. XLA's CPU backend runs a
     * {@code reduce_window} as a scalar loop: ResNet-18's 3x3 stride-2 pooling at batch 32 took 0.43 ms that
     * way, 0.19 ms as slices (the same program under JAX).
     */
    private static HloValue separableMax(FunctionBuilder b, HloValue channelsLast, HloValue lowest, Window w) {
        BinaryOperator<HloValue> max = ReductionOps.nanPropagating(b, b::maximum);
        int rank = channelsLast.rank();
        HloValue current = b.pad(channelsLast, lowest, ConvolutionOps.channelsLast(w.padding(), 0),
                ConvolutionOps.channelsLast(w.paddingHigh(), 0), new long[rank]);
        for (int i = 0; i < w.spatial(); i++) {
            int axis = i + 1;
            HloValue pooled = null;
            for (long k = 0; k < w.kernel()[i]; k++) {
                long[] start = new long[rank];
                long[] limit = current.shape().clone();
                long[] strides = ones(rank);
                start[axis] = k * w.dilation()[i];
                limit[axis] = start[axis] + (w.outputSizes()[i] - 1) * w.stride()[i] + 1;
                strides[axis] = w.stride()[i];
                HloValue tap = b.slice(current, start, limit, strides);
                pooled = pooled == null ? tap : max.apply(pooled, tap);
            }
            current = pooled;
        }
        return current;
    }

    /**
     * Max pooling with the flat index ({@code h * W + w}) of each maximum in its input plane. The winner is the
     * greatest value, NaN above all; among equal values the first index, among NaNs the last, as PyTorch's CPU
     * kernel scans. Padding carries the index {@code Long.MAX_VALUE} and never wins.
     */
    private static List<HloValue> maxPoolWithIndices(FunctionBuilder b, HloValue x, Window w) {
        long[] shape = x.shape();
        TensorType indexType = TensorType.of(DType.I64, shape);
        HloValue flat = b.constant(indexType, 0L);
        long stride = 1;
        for (int axis = x.rank() - 1; axis >= x.rank() - w.spatial(); axis--) {
            flat = b.add(flat, b.multiply(b.iota(indexType, axis), b.constant(indexType, stride)));
            stride *= shape[axis];
        }
        HloValue lowest = ReductionOps.lowest(b, x.dtype());
        HloValue noIndex = b.constant(TensorType.of(DType.I64), Long.MAX_VALUE);
        return slide(b, List.of(x, flat), List.of(lowest, noIndex), w, (r, a) -> {
            HloValue accValue = a.get(0);
            HloValue accIndex = a.get(1);
            HloValue value = a.get(2);
            HloValue index = a.get(3);
            HloValue take = r.or(r.compare(Direction.GT, value, accValue),
                    r.and(r.compare(Direction.EQ, value, accValue), r.compare(Direction.LT, index, accIndex)));
            if (value.dtype().isFloatingPoint()) {
                HloValue valueNan = r.compare(Direction.NE, value, value);
                HloValue accNan = r.compare(Direction.NE, accValue, accValue);
                HloValue laterNan = r.and(r.and(valueNan, accNan), r.compare(Direction.GT, index, accIndex));
                take = r.or(r.and(r.not(accNan), r.or(take, valueNan)), laterNan);
            }
            return List.of(r.select(take, value, accValue), r.select(take, index, accIndex));
        });
    }

    private static void maxPoolable(Node n) {
        if (n.input(0).type().dtype() == DType.BOOL) {
            throw new IllegalArgumentException(n.op() + ": bool inputs cannot be max-pooled (convert to uint8 first)");
        }
    }

    /** {@code max_poolNd(self, kernel_size, stride=[], padding=0, dilation=1, ceil_mode=False)}: the values. */
    static final AtenOp MAX_POOL = op("aten::max_pool1d", "aten::max_pool2d", "aten::max_pool3d").meta((n, p) -> {
        maxPoolable(n);
        TensorType in = n.input(0).type();
        return List.of(pooledType(in, window(n, in, true), in.dtype()));
    }).lower((c, n, x) -> maxPool(c.builder(), x.get(0), window(n, x.get(0).type(), true)));

    /** The Core ATen form: values and int64 indices into each input plane. */
    static final AtenOp MAX_POOL_WITH_INDICES = op("aten::max_pool2d_with_indices", "aten::max_pool3d_with_indices").meta((n, p) -> {
        maxPoolable(n);
        TensorType in = n.input(0).type();
        Window w = window(n, in, true);
        return List.of(pooledType(in, w, in.dtype()), pooledType(in, w, DType.I64));
    }).lowerAll((c, n, x) -> maxPoolWithIndices(c.builder(), x.get(0), window(n, x.get(0).type(), true)));

    // ---- average pooling --------------------------------------------------------------------------

    /**
     * How many elements each window divides by, shaped like the output's spatial dimensions: with
     * count_include_pad the window clipped to the padded input, else to the input itself.
     */
    private static HloValue windowCounts(FunctionBuilder b, DType dtype, Window w, boolean countPadding) {
        long[] sizes = w.inputSizes().clone();
        long[] low = w.padding().clone();
        long[] high = w.paddingHigh();
        if (countPadding) {
            for (int i = 0; i < w.spatial(); i++) {
                sizes[i] += 2 * w.padding()[i];
                high[i] = Math.max(0, high[i] - w.padding()[i]);
                low[i] = 0;
            }
        }
        HloValue ones = b.constant(TensorType.of(dtype, sizes), 1.0);
        HloValue zero = b.scalar(dtype, 0);
        int rank = w.spatial();
        return b.reduceWindow(List.of(ones), List.of(zero), w.kernel(), w.stride(), ones(rank), ones(rank), low, high,
                (r, a) -> List.of(r.add(a.get(0), a.get(1)))).get(0);
    }

    private static HloValue avgPool(FunctionBuilder b, Node n, HloValue x, Window w) {
        DType dtype = x.dtype();
        HloValue in = Metas.upcast(b, x);
        HloValue zero = b.constant(TensorType.of(in.dtype()), 0L);
        HloValue sum = slide(b, List.of(in), List.of(zero), w, (r, a) -> List.of(r.add(a.get(0), a.get(1)))).get(0);
        HloValue divisor;
        if (n.has("divisor_override")) {
            divisor = b.constant(sum.type(), n.intAttr("divisor_override"));
        } else {
            HloValue counts = windowCounts(b, in.dtype(), w, n.boolAttr("count_include_pad", true));
            long[] dims = new long[w.spatial()];
            for (int i = 0; i < w.spatial(); i++) {
                dims[i] = sum.rank() - w.spatial() + i;
            }
            divisor = b.broadcastInDim(counts, sum.shape(), dims);
        }
        return b.convert(b.divide(sum, divisor), dtype);
    }

    /** {@code avg_poolNd(self, kernel_size, stride=[], padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)}. */
    static final AtenOp AVG_POOL = op("aten::avg_pool1d", "aten::avg_pool2d", "aten::avg_pool3d").meta((n, p) -> {
        TensorType in = n.input(0).type();
        if (in.dtype() == DType.BOOL) {
            throw new IllegalArgumentException(n.op() + ": bool inputs cannot be averaged (convert to a float dtype first)");
        }
        if (n.has("divisor_override") && n.intAttr("divisor_override") == 0) {
            throw new IllegalArgumentException(n.op() + ": divisor_override must not be 0");
        }
        return List.of(pooledType(in, window(n, in, false), in.dtype()));
    }).lower((c, n, x) -> avgPool(c.builder(), n, x.get(0), window(n, x.get(0).type(), false)));

    // ---- adaptive average pooling -----------------------------------------------------------------

    private static long[] adaptiveSizes(Node n, TensorType input) {
        int spatial = spatialOf(n);
        leading(n, input, spatial);
        long[] out = ConvolutionOps.perSpatial(n, "output_size", spatial, -1);
        for (int i = 0; i < spatial; i++) {
            if (out[i] < 1) {
                throw new IllegalArgumentException(n.op() + ": output_size " + Arrays.toString(out) + " needs a positive size per spatial dimension");
            }
        }
        if (!input.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(n.op() + ": input " + input + " must be floating point (convert it first)");
        }
        return out;
    }

    /**
     * Output element i of a dimension averages input elements [floor(i * in / out), ceil((i + 1) * in / out)). When
     * every size divides evenly that is an ordinary average pool; otherwise the windows differ in size and each
     * dimension becomes a product with a constant [out, in] averaging matrix.
     */
    private static HloValue adaptiveAvgPool(FunctionBuilder b, HloValue x, long[] out) {
        int spatial = out.length;
        int first = x.rank() - spatial;
        DType dtype = x.dtype();
        HloValue in = Metas.upcast(b, x);
        boolean even = true;
        for (int i = 0; i < spatial; i++) {
            even &= in.shape()[first + i] % out[i] == 0;
        }
        if (even) {
            long[] kernel = new long[spatial];
            for (int i = 0; i < spatial; i++) {
                kernel[i] = in.shape()[first + i] / out[i];
            }
            long[] inSizes = Arrays.copyOfRange(in.shape(), first, in.rank());
            Window w = new Window(spatial, kernel, kernel, new long[spatial], ones(spatial), inSizes, out);
            HloValue zero = b.constant(TensorType.of(in.dtype()), 0L);
            HloValue sum = slide(b, List.of(in), List.of(zero), w, (r, a) -> List.of(r.add(a.get(0), a.get(1)))).get(0);
            long count = Arrays.stream(kernel).reduce(1, (p, q) -> p * q);
            return b.convert(b.divide(sum, b.constant(sum.type(), (double) count)), dtype);
        }
        HloValue result = in;
        for (int i = 0; i < spatial; i++) {
            int axis = first + i;
            HloValue matrix = b.constant(averagingMatrix(in.dtype(), result.shape()[axis], out[i]));
            HloValue product = b.dotGeneral(result, matrix, new long[0], new long[0], new long[] {axis}, new long[] {1});
            long[] back = new long[product.rank()];
            for (int d = 0, free = 0; d < back.length; d++) {
                back[d] = d == axis ? product.rank() - 1 : free++;
            }
            result = b.transpose(product, back);
        }
        return b.convert(result, dtype);
    }

    private static HostTensor averagingMatrix(DType dtype, long in, long out) {
        HostTensor f64 = HostTensor.allocate(TensorType.of(DType.F64, out, in));
        DoubleBuffer values = f64.data().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        for (long i = 0; i < out; i++) {
            long start = Math.floorDiv(i * in, out);
            long end = -Math.floorDiv(-(i + 1) * in, out);
            for (long j = start; j < end; j++) {
                values.put((int) (i * in + j), 1.0 / (end - start));
            }
        }
        return dtype == DType.F64 ? f64 : narrow(f64, dtype);
    }

    /** The f64 matrix in f32 (the only other compute dtype after upcasting). */
    private static HostTensor narrow(HostTensor f64, DType dtype) {
        if (dtype != DType.F32) {
            throw new IllegalStateException("adaptive pooling computes in f32 or f64, not " + dtype);
        }
        HostTensor f32 = HostTensor.allocate(TensorType.of(DType.F32, f64.type().shape()));
        DoubleBuffer from = f64.data().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
        java.nio.FloatBuffer to = f32.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        while (from.hasRemaining()) {
            to.put((float) from.get());
        }
        return f32;
    }

    /** {@code adaptive_avg_poolNd(self, output_size)} and the Core ATen {@code _adaptive_avg_poolNd}. */
    static final AtenOp ADAPTIVE_AVG_POOL = op("aten::adaptive_avg_pool1d", "aten::adaptive_avg_pool2d", "aten::adaptive_avg_pool3d",
            "aten::_adaptive_avg_pool2d", "aten::_adaptive_avg_pool3d").meta((n, p) -> {
                TensorType in = n.input(0).type();
                long[] out = adaptiveSizes(n, in);
                long[] shape = in.shape();
                System.arraycopy(out, 0, shape, shape.length - out.length, out.length);
                return List.of(TensorType.of(in.dtype(), shape));
            }).lower((c, n, x) -> adaptiveAvgPool(c.builder(), x.get(0), adaptiveSizes(n, x.get(0).type())));
}
