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
 * Batch, layer and group normalization: {@code (x - mean) / sqrt(var + eps) * weight + bias} with the biased
 * variance. Statistics and the affine step compute in f32 for f16 and bf16 inputs (PyTorch's CPU kernels do), and
 * the weight, bias and running statistics may have another float dtype than the input.
 *
 * <p>Optional tensors: the lowerer leaves an absent optional tensor out (see {@code Node}). Where the schema has
 * optional tensors before required ones, the required ones are taken from the end: the running statistics of
 * inference batch norm are always the last two inputs, and weight, bias fill the places before them in order.
 */
final class NormalizationOps {
    private NormalizationOps() {
    }

    /** Which operand index holds each optional tensor, -1 when absent. */
    private record Params(int weight, int bias, int runningMean, int runningVar) {
    }

    private static void floating(Node n) {
        for (int i = 0; i < n.inputs().size(); i++) {
            if (!n.input(i).type().dtype().isFloatingPoint()) {
                throw new IllegalArgumentException(n.op() + ": tensor argument " + i + " is " + n.input(i).type()
                        + "; normalization needs floating point tensors (convert them first)");
            }
        }
    }

    /** weight?, bias? only, in order. */
    private static Params affineOnly(Node n, int first) {
        int count = n.inputs().size() - first;
        if (count > 2) {
            throw new IllegalArgumentException(n.op() + " takes at most weight and bias after its input(s), got " + n.inputs().size() + " tensors");
        }
        return new Params(count >= 1 ? first : -1, count == 2 ? first + 1 : -1, -1, -1);
    }

    /** weight?, bias?, running_mean, running_var with the statistics required: they are the last two inputs. */
    private static Params withRequiredStats(Node n) {
        int size = n.inputs().size();
        if (size < 3 || size > 5) {
            throw new IllegalArgumentException(n.op() + " needs input, weight?, bias?, running_mean and running_var, got " + size
                    + " tensors (running statistics are required when training=False)");
        }
        return new Params(size >= 4 ? 1 : -1, size == 5 ? 2 : -1, size - 2, size - 1);
    }

    /**
     * Batch norm's tensors: inference needs the running statistics; training uses batch statistics, and then
     * only the two unambiguous counts are accepted (none of the optional tensors, or all four).
     */
    private static Params batchNormParams(Node n, boolean training) {
        if (!training) {
            return withRequiredStats(n);
        }
        return switch (n.inputs().size()) {
            case 1 -> new Params(-1, -1, -1, -1);
            case 5 -> new Params(1, 2, 3, 4);
            default -> throw new IllegalArgumentException(n.op() + " with training=True and " + n.inputs().size()
                    + " tensors: cannot tell weight and bias from running statistics; give all of input, weight, bias, running_mean,"
                    + " running_var, or export the model in eval mode");
        };
    }

    private static void checkChannelParam(Node n, int index, long channels, String name) {
        if (index >= 0 && !Arrays.equals(n.input(index).type().shape(), new long[] {channels})) {
            throw new IllegalArgumentException(n.op() + ": " + name + " " + n.input(index).type() + " must have shape [" + channels + "]");
        }
    }

    private static long channels(Node n) {
        TensorType in = n.input(0).type();
        if (in.rank() < 2) {
            throw new IllegalArgumentException(n.op() + ": input " + in + " needs rank 2 or more ([batch, channels, ...])");
        }
        return in.dim(1);
    }

    /** f32 for f16 and bf16 (PyTorch's accumulation type), else the input's dtype. */
    private static DType computeType(DType input) {
        return input == DType.F16 || input == DType.BF16 ? DType.F32 : input;
    }

    /** A per-channel [C] parameter, in {@code dtype}, broadcast along dimension 1 of {@code shape}. */
    private static HloValue perChannel(FunctionBuilder b, HloValue param, DType dtype, long[] shape) {
        return b.broadcastInDim(b.convert(param, dtype), shape, new long[] {1});
    }

    private static long[] allBut(int rank, int kept) {
        long[] dims = new long[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != kept) {
                dims[j++] = i;
            }
        }
        return dims;
    }

    /** Mean and biased variance of {@code x} over {@code dims}, kept as size-1 dimensions and broadcast back to x's shape. */
    private static HloValue[] moments(FunctionBuilder b, HloValue x, long[] dims) {
        long count = 1;
        for (long d : dims) {
            count *= x.shape()[(int) d];
        }
        HloValue zero = b.scalar(x.dtype(), 0);
        HloValue n = b.constant(x.type(), (double) count);
        HloValue mean = b.divide(ReductionOps.reduceKeep(b, x, dims, zero, b::add), n);
        HloValue centered = b.subtract(x, mean);
        HloValue variance = b.divide(ReductionOps.reduceKeep(b, b.multiply(centered, centered), dims, zero, b::add), n);
        return new HloValue[] {mean, variance};
    }

    /** Reduces a value that is constant over {@code dims} (a broadcast statistic) to the kept dimensions. */
    private static HloValue collapse(FunctionBuilder b, HloValue broadcast, long[] dims, long[] shape) {
        long[] start = new long[broadcast.rank()];
        long[] limit = broadcast.shape();
        long[] strides = new long[broadcast.rank()];
        Arrays.fill(strides, 1);
        for (long d : dims) {
            limit[(int) d] = 1;
        }
        return b.reshape(b.slice(broadcast, start, limit, strides), shape);
    }

    // ---- batch norm -------------------------------------------------------------------------------

    /** The normalized output, and per-channel [C] batch mean and inverse standard deviation (training) or null (inference). */
    private static List<HloValue> batchNorm(FunctionBuilder b, Node n, List<HloValue> x, Params p, boolean training, double eps) {
        HloValue input = x.get(0);
        DType dtype = computeType(input.dtype());
        HloValue in = b.convert(input, dtype);
        long[] shape = in.shape();
        HloValue mean;
        HloValue variance;
        if (training) {
            HloValue[] moments = moments(b, in, allBut(in.rank(), 1));
            mean = moments[0];
            variance = moments[1];
        } else {
            mean = perChannel(b, x.get(p.runningMean()), dtype, shape);
            variance = perChannel(b, x.get(p.runningVar()), dtype, shape);
        }
        HloValue invstd = b.rsqrt(b.add(variance, b.constant(variance.type(), eps)));
        HloValue out = b.multiply(b.subtract(in, mean), invstd);
        if (p.weight() >= 0) {
            out = b.multiply(out, perChannel(b, x.get(p.weight()), dtype, shape));
        }
        if (p.bias() >= 0) {
            out = b.add(out, perChannel(b, x.get(p.bias()), dtype, shape));
        }
        List<HloValue> results = new ArrayList<>();
        results.add(b.convert(out, input.dtype()));
        if (training) {
            long[] reduced = allBut(in.rank(), 1);
            results.add(b.convert(collapse(b, mean, reduced, new long[] {shape[1]}), statDtype(n)));
            results.add(b.convert(collapse(b, invstd, reduced, new long[] {shape[1]}), statDtype(n)));
        }
        return results;
    }

    private static TensorType batchNormMeta(Node n, Params p) {
        floating(n);
        long channels = channels(n);
        checkChannelParam(n, p.weight(), channels, "weight");
        checkChannelParam(n, p.bias(), channels, "bias");
        checkChannelParam(n, p.runningMean(), channels, "running_mean");
        checkChannelParam(n, p.runningVar(), channels, "running_var");
        return n.input(0).type();
    }

    /**
     * The saved statistics of the three-output forms: batch mean and inverse std [C] in training; in inference
     * empty [0] tensors, as PyTorch's CPU kernel returns.
     */
    private static TensorType savedStatType(Node n, boolean training) {
        return TensorType.of(statDtype(n), training ? channels(n) : 0);
    }

    /** Saved statistics keep the input's dtype, except f16 or bf16 input with f32 parameters (PyTorch's mixed type): f32. */
    private static DType statDtype(Node n) {
        DType input = n.input(0).type().dtype();
        boolean mixed = computeType(input) != input && n.inputs().stream().skip(1).anyMatch(v -> v.type().dtype() == DType.F32);
        return mixed ? DType.F32 : input;
    }

    private static List<HloValue> withEmptyStats(FunctionBuilder b, Node n, List<HloValue> results) {
        if (results.size() == 3) {
            return results;
        }
        TensorType empty = savedStatType(n, false);
        return List.of(results.get(0), b.constant(empty, 0.0), b.constant(empty, 0.0));
    }

    /** {@code batch_norm(input, weight?, bias?, running_mean?, running_var?, training, momentum, eps, cudnn_enabled)}. */
    static final AtenOp BATCH_NORM = op("aten::batch_norm")
            .meta((n, p) -> List.of(batchNormMeta(n, batchNormParams(n, n.boolAttr("training", false)))))
            .lower((c, n, x) -> {
                boolean training = n.boolAttr("training", false);
                return batchNorm(c.builder(), n, x, batchNormParams(n, training), training, n.floatAttr("eps", 1e-5)).get(0);
            });

    /** {@code native_batch_norm(input, weight?, bias?, running_mean?, running_var?, training, momentum, eps) -> (out, save_mean, save_invstd)}. */
    static final AtenOp NATIVE_BATCH_NORM = op("aten::native_batch_norm").meta((n, p) -> {
        boolean training = n.boolAttr("training", false);
        return List.of(batchNormMeta(n, batchNormParams(n, training)), savedStatType(n, training), savedStatType(n, training));
    }).lowerAll((c, n, x) -> {
        boolean training = n.boolAttr("training", false);
        return withEmptyStats(c.builder(), n, batchNorm(c.builder(), n, x, batchNormParams(n, training), training, n.floatAttr("eps", 1e-5)));
    });

    /** The Core ATen inference form: {@code (input, weight?, bias?, running_mean, running_var, momentum, eps) -> (out, [0], [0])}. */
    static final AtenOp BATCH_NORM_NO_TRAINING = op("aten::_native_batch_norm_legit_no_training").meta((n, p) ->
            List.of(batchNormMeta(n, withRequiredStats(n)), savedStatType(n, false), savedStatType(n, false))
    ).lowerAll((c, n, x) -> withEmptyStats(c.builder(), n, batchNorm(c.builder(), n, x, withRequiredStats(n), false, n.floatAttr("eps", 1e-5))));

    /**
     * The Core ATen forms with a training flag: {@code _native_batch_norm_legit(input, weight?, bias?, running_mean,
     * running_var, training, momentum, eps)} and {@code .no_stats(input, weight?, bias?, training, momentum, eps)}. The
     * running-statistics update of training is a mutation that a functional program drops.
     */
    static final AtenOp BATCH_NORM_LEGIT = op("aten::_native_batch_norm_legit", "aten::_native_batch_norm_legit.no_stats").meta((n, p) -> {
        boolean training = n.boolAttr("training", false);
        Params params = legitParams(n, training);
        return List.of(batchNormMeta(n, params), savedStatType(n, training), savedStatType(n, training));
    }).lowerAll((c, n, x) -> {
        boolean training = n.boolAttr("training", false);
        return withEmptyStats(c.builder(), n, batchNorm(c.builder(), n, x, legitParams(n, training), training, n.floatAttr("eps", 1e-5)));
    });

    private static Params legitParams(Node n, boolean training) {
        if (n.op().endsWith(".no_stats")) {
            if (!training) {
                throw new IllegalArgumentException(n.op() + " with training=False has no running statistics to normalize with");
            }
            return affineOnly(n, 1);
        }
        return withRequiredStats(n);
    }

    // ---- layer norm -------------------------------------------------------------------------------

    private static int layerNormAxis(Node n) {
        TensorType in = n.input(0).type();
        long[] normalized = Metas.longs(n.intsAttr("normalized_shape"));
        int axis = in.rank() - normalized.length;
        if (normalized.length == 0 || axis < 0 || !Arrays.equals(Arrays.copyOfRange(in.shape(), axis, in.rank()), normalized)) {
            throw new IllegalArgumentException(n.op() + ": normalized_shape " + Arrays.toString(normalized) + " must be the trailing dimensions of input " + in);
        }
        for (int i = 1; i < n.inputs().size(); i++) {
            if (!Arrays.equals(n.input(i).type().shape(), normalized)) {
                throw new IllegalArgumentException(n.op() + ": " + (i == 1 ? "weight " : "bias ") + n.input(i).type() + " must have shape "
                        + Arrays.toString(normalized));
            }
        }
        floating(n);
        affineOnly(n, 1);
        return axis;
    }

    /** The statistics' type: the input's leading dimensions then 1s; in f32 for 16-bit inputs with f32 weights (PyTorch's mixed type). */
    private static TensorType layerNormStatType(Node n, int axis) {
        TensorType in = n.input(0).type();
        long[] shape = in.shape();
        Arrays.fill(shape, axis, shape.length, 1);
        boolean mixed = n.inputs().size() > 1 && n.input(1).type().dtype() == DType.F32 && in.dtype() != DType.F32;
        return TensorType.of(mixed ? DType.F32 : in.dtype(), shape);
    }

    private static List<HloValue> layerNorm(FunctionBuilder b, Node n, List<HloValue> x) {
        int axis = layerNormAxis(n);
        HloValue input = x.get(0);
        DType dtype = computeType(input.dtype());
        HloValue in = b.convert(input, dtype);
        long[] dims = new long[in.rank() - axis];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = axis + i;
        }
        HloValue[] moments = moments(b, in, dims);
        HloValue rstd = b.rsqrt(b.add(moments[1], b.constant(moments[1].type(), n.floatAttr("eps", 1e-5))));
        HloValue out = b.multiply(b.subtract(in, moments[0]), rstd);
        if (x.size() > 1) {
            out = b.multiply(out, b.broadcastInDim(b.convert(x.get(1), dtype), out.shape(), dims));
        }
        if (x.size() > 2) {
            out = b.add(out, b.broadcastInDim(b.convert(x.get(2), dtype), out.shape(), dims));
        }
        TensorType statType = layerNormStatType(n, axis);
        return List.of(b.convert(out, input.dtype()), b.convert(collapse(b, moments[0], dims, statType.shape()), statType.dtype()),
                b.convert(collapse(b, rstd, dims, statType.shape()), statType.dtype()));
    }

    /** {@code layer_norm(input, normalized_shape, weight?, bias?, eps=1e-5, cudnn_enable)}. */
    static final AtenOp LAYER_NORM = op("aten::layer_norm").meta((n, p) -> {
        layerNormAxis(n);
        return List.of(n.input(0).type());
    }).lower((c, n, x) -> layerNorm(c.builder(), n, x).get(0));

    /** {@code native_layer_norm(input, normalized_shape, weight?, bias?, eps) -> (out, mean, rstd)}. */
    static final AtenOp NATIVE_LAYER_NORM = op("aten::native_layer_norm").meta((n, p) -> {
        TensorType stat = layerNormStatType(n, layerNormAxis(n));
        return List.of(n.input(0).type(), stat, stat);
    }).lowerAll((c, n, x) -> layerNorm(c.builder(), n, x));

    // ---- group norm -------------------------------------------------------------------------------

    /** Groups of the {@code group_norm} ({@code num_groups}) or {@code native_group_norm} ({@code group}) form. */
    private static long groups(Node n) {
        long groups = n.has("num_groups") ? n.intAttr("num_groups") : n.intAttr("group");
        long channels = channels(n);
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(n.op() + ": " + channels + " channels do not split into " + groups + " groups");
        }
        floating(n);
        Params p = affineOnly(n, 1);
        checkChannelParam(n, p.weight(), channels, "weight");
        checkChannelParam(n, p.bias(), channels, "bias");
        return groups;
    }

    private static List<HloValue> groupNorm(FunctionBuilder b, Node n, List<HloValue> x) {
        long groups = groups(n);
        HloValue input = x.get(0);
        DType dtype = computeType(input.dtype());
        long[] shape = input.shape();
        long batch = shape[0];
        HloValue grouped = b.reshape(b.convert(input, dtype), batch, groups, input.type().elementCount() / batch / groups);
        HloValue[] moments = moments(b, grouped, new long[] {2});
        HloValue rstd = b.rsqrt(b.add(moments[1], b.constant(moments[1].type(), n.floatAttr("eps", 1e-5))));
        HloValue out = b.reshape(b.multiply(b.subtract(grouped, moments[0]), rstd), shape);
        if (x.size() > 1) {
            out = b.multiply(out, perChannel(b, x.get(1), dtype, shape));
        }
        if (x.size() > 2) {
            out = b.add(out, perChannel(b, x.get(2), dtype, shape));
        }
        DType statType = input.dtype();
        return List.of(b.convert(out, input.dtype()), b.convert(collapse(b, moments[0], new long[] {2}, new long[] {batch, groups}), statType),
                b.convert(collapse(b, rstd, new long[] {2}, new long[] {batch, groups}), statType));
    }

    /** {@code group_norm(input, num_groups, weight?, bias?, eps=1e-5, cudnn_enabled)}. */
    static final AtenOp GROUP_NORM = op("aten::group_norm").meta((n, p) -> {
        groups(n);
        return List.of(n.input(0).type());
    }).lower((c, n, x) -> groupNorm(c.builder(), n, x).get(0));

    /** {@code native_group_norm(input, weight?, bias?, N, C, HxW, group, eps) -> (out, mean [N, group], rstd [N, group])}. */
    static final AtenOp NATIVE_GROUP_NORM = op("aten::native_group_norm").meta((n, p) -> {
        long groups = groups(n);
        TensorType stat = TensorType.of(n.input(0).type().dtype(), n.input(0).type().dim(0), groups);
        return List.of(n.input(0).type(), stat, stat);
    }).lowerAll((c, n, x) -> groupNorm(c.builder(), n, x));
}
