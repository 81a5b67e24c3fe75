package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenDecomposition.decompose;
import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * Reductions beyond {@link ReductionOps}: full-tensor sum, mean, max and min (decomposed into their dim forms),
 * variance and standard deviation, product, any/all, logsumexp and vector norms. f16 and bf16 inputs compute in
 * f32, as PyTorch's CPU kernels do.
 */
final class StatisticOps {
    private StatisticOps() {
    }

    /** The reduced dims of a node: a single {@code dim}, a {@code dim} list, or every dimension when absent or empty. */
    private static long[] dims(Node n, int rank) {
        return Metas.dims(n, "dim", rank);
    }

    private static long count(long[] shape, long[] dims) {
        long count = 1;
        for (long d : dims) {
            count *= shape[(int) d];
        }
        return count;
    }

    private static HloValue reduce(FunctionBuilder b, HloValue x, long[] dims, boolean keepdim, HloValue init, BinaryOperator<HloValue> combine) {
        HloValue reduced = b.reduce(x, init, dims, combine);
        return keepdim ? b.reshape(reduced, Metas.reducedShape(x.shape(), dims, true)) : reduced;
    }

    private static void floating(Node n, TensorType in) {
        if (!in.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(n.op() + ": needs a floating point input, got " + in + "; convert it first (aten::to.dtype)");
        }
    }

    private static AtenOp.Meta reducedTo(java.util.function.Function<Node, DType> dtype) {
        return (n, p) -> {
            TensorType in = n.input(0).type();
            return List.of(TensorType.of(dtype.apply(n), Metas.reducedShape(in.shape(), dims(n, in.rank()), n.boolAttr("keepdim", false))));
        };
    }

    // ---- full reductions as their dim forms ---------------------------------------------------------

    private static AtenDecomposition fullReduction(String op, String target) {
        return decompose(op, (n, c) -> List.of(c.emit(target, n.inputs(), n.attributes())));
    }

    static final AtenDecomposition SUM_ALL = fullReduction("aten::sum", "aten::sum.dim_IntList");

    static final AtenDecomposition MEAN_ALL = fullReduction("aten::mean", "aten::mean.dim");

    static final AtenDecomposition MAX_ALL = decompose("aten::max", (n, c) -> List.of(c.emit("aten::amax", n.inputs(), Map.of())));

    static final AtenDecomposition MIN_ALL = decompose("aten::min", (n, c) -> List.of(c.emit("aten::amin", n.inputs(), Map.of())));

    // ---- variance and standard deviation ------------------------------------------------------------

    /** {@code correction} (Scalar, default 1), or the older {@code unbiased} bool of {@code var.dim}. */
    private static double correction(Node n) {
        if (n.has("unbiased")) {
            return n.boolAttr("unbiased", true) ? 1 : 0;
        }
        return n.floatAttr("correction", 1);
    }

    /**
     * sum((x - mean)^2) / max(0, N - correction), as PyTorch: N - correction at or below 0 gives inf or NaN. The
     * deviations are scaled by their largest magnitude before squaring, and the scale multiplied back after: the
     * squares of f32 values above 1.8e19 overflow, where PyTorch's CPU kernel (double accumulators) gives a
     * finite standard deviation.
     */
    private static AtenOp variance(boolean standardDeviation, String... ops) {
        return op(ops).meta((n, p) -> {
            floating(n, n.input(0).type());
            return reducedTo(m -> m.input(0).type().dtype()).infer(n, p);
        }).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            HloValue in = Metas.upcast(b, x.get(0));
            long[] dims = dims(n, in.rank());
            long count = count(in.shape(), dims);
            HloValue sum = ReductionOps.reduceKeep(b, in, dims, b.scalar(in.dtype(), 0), b::add);
            HloValue centered = b.subtract(in, b.divide(sum, b.constant(sum.type(), (double) count)));
            boolean keepdim = n.boolAttr("keepdim", false);
            HloValue largest = reduce(b, b.abs(centered), dims, keepdim, b.scalar(in.dtype(), 0), b::maximum);
            HloValue scale = b.select(b.compare(Direction.EQ, largest, b.constant(largest.type(), 0.0)), b.constant(largest.type(), 1.0), largest);
            HloValue scaled = b.divide(centered, b.broadcastInDim(b.reshape(scale, Metas.reducedShape(in.shape(), dims, true)), in.shape(),
                    ReductionOps.identity(in.rank())));
            HloValue squares = reduce(b, b.multiply(scaled, scaled), dims, keepdim, b.scalar(in.dtype(), 0), b::add);
            HloValue scaledVariance = b.divide(squares, b.constant(squares.type(), Math.max(0, count - correction(n))));
            // scale * sqrt(v) and (scale * v) * scale: neither overflows before the result itself does
            HloValue result = standardDeviation ? b.multiply(scale, b.sqrt(scaledVariance))
                    : b.multiply(b.multiply(scale, scaledVariance), scale);
            return b.convert(result, x.get(0).dtype());
        });
    }

    static final AtenOp VAR = variance(false, "aten::var.correction", "aten::var.dim", "aten::var");

    static final AtenOp STD = variance(true, "aten::std.correction", "aten::std.dim", "aten::std");

    // ---- product, any, all --------------------------------------------------------------------------

    /** prod's dtype: the {@code dtype} attribute, else int64 for integers and bool (as sum), else the input's. */
    private static DType prodDtype(Node n) {
        DType input = n.input(0).type().dtype();
        return n.dtypeAttr("dtype").orElse(input.isFloatingPoint() ? input : TypePromotion.DEFAULT_INT);
    }

    static final AtenOp PROD = op("aten::prod.dim_int", "aten::prod").meta(reducedTo(StatisticOps::prodDtype)).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        DType out = prodDtype(n);
        HloValue in = Metas.upcast(b, b.convert(x.get(0), out));
        return b.convert(reduce(b, in, dims(n, in.rank()), n.boolAttr("keepdim", false), b.scalar(in.dtype(), 1), b::multiply), out);
    });

    /** any/all give bool, except for uint8 input, which gives uint8 as PyTorch does. */
    private static DType logicalDtype(Node n) {
        return n.input(0).type().dtype() == DType.U8 ? DType.U8 : DType.BOOL;
    }

    private static AtenOp logicalReduction(boolean all, String... ops) {
        return op(ops).meta(reducedTo(StatisticOps::logicalDtype)).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            HloValue in = b.convert(x.get(0), DType.BOOL);
            HloValue reduced = reduce(b, in, dims(n, in.rank()), n.boolAttr("keepdim", false), b.constant(TensorType.of(DType.BOOL), all ? 1L : 0L),
                    all ? b::and : b::or);
            return b.convert(reduced, logicalDtype(n));
        });
    }

    static final AtenOp ANY = logicalReduction(false, "aten::any.dim", "aten::any.dims", "aten::any");

    static final AtenOp ALL = logicalReduction(true, "aten::all.dim", "aten::all.dims", "aten::all");

    // ---- logsumexp and norms ------------------------------------------------------------------------

    private static DType floatOrDefault(DType dtype) {
        return dtype.isFloatingPoint() ? dtype : TypePromotion.DEFAULT_FLOAT;
    }

    /** max + log(sum(exp(x - max))), with an infinite max replaced by 0 so that all -inf (or +inf) rows stay finite-safe. */
    static final AtenOp LOGSUMEXP = op("aten::logsumexp").meta(reducedTo(n -> floatOrDefault(n.input(0).type().dtype()))).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        DType out = floatOrDefault(x.get(0).dtype());
        HloValue in = Metas.upcast(b, b.convert(x.get(0), out));
        long[] dims = dims(n, in.rank());
        HloValue max = ReductionOps.reduceKeep(b, in, dims, ReductionOps.lowest(b, in.dtype()), ReductionOps.nanPropagating(b, b::maximum));
        HloValue infinite = b.compare(Direction.EQ, b.abs(max), b.constant(max.type(), Double.POSITIVE_INFINITY));
        HloValue shift = b.select(infinite, b.constant(max.type(), 0.0), max);
        HloValue sum = b.reduce(b.exponential(b.subtract(in, shift)), b.scalar(in.dtype(), 0), dims, b::add);
        HloValue shiftReduced = b.reduce(shift, ReductionOps.lowest(b, in.dtype()), dims, b::maximum);
        HloValue result = b.add(b.log(sum), shiftReduced);
        if (n.boolAttr("keepdim", false)) {
            result = b.reshape(result, Metas.reducedShape(in.shape(), dims, true));
        }
        return b.convert(result, out);
    });

    /** The order of a vector norm: {@code ord} of linalg_vector_norm, {@code p} of norm (None means 2). */
    private static double order(Node n) {
        if (n.has("ord")) {
            return n.scalarAttr("ord").asDouble();
        }
        return n.scalarAttr("p", Scalar.of(2)).asDouble();
    }

    private static DType normDtype(Node n) {
        return n.dtypeAttr("dtype").orElse(n.input(0).type().dtype());
    }

    /** inf: max |x|; -inf: min |x|; 0: count of nonzeros; else (sum |x|^p)^(1/p), with p = 1 and 2 spelled out. */
    static final AtenOp VECTOR_NORM = op("aten::linalg_vector_norm", "aten::norm.ScalarOpt_dim", "aten::norm.Scalar", "aten::norm.ScalarOpt_dim_dtype")
            .meta((n, p) -> {
                floating(n, n.input(0).type());
                return reducedTo(StatisticOps::normDtype).infer(n, p);
            }).lower((c, n, x) -> {
                FunctionBuilder b = c.builder();
                DType out = normDtype(n);
                HloValue magnitude = b.abs(Metas.upcast(b, b.convert(x.get(0), out)));
                long[] dims = dims(n, magnitude.rank());
                boolean keepdim = n.boolAttr("keepdim", false);
                double ord = order(n);
                HloValue zero = b.scalar(magnitude.dtype(), 0);
                HloValue result;
                if (ord == Double.POSITIVE_INFINITY) {
                    result = reduce(b, magnitude, dims, keepdim, zero, ReductionOps.nanPropagating(b, b::maximum));
                } else if (ord == Double.NEGATIVE_INFINITY) {
                    result = reduce(b, magnitude, dims, keepdim, ReductionOps.highest(b, magnitude.dtype()), ReductionOps.nanPropagating(b, b::minimum));
                } else if (ord == 0) {
                    HloValue nonzero = b.convert(b.compare(Direction.NE, magnitude, b.constant(magnitude.type(), 0.0)), magnitude.dtype());
                    result = reduce(b, nonzero, dims, keepdim, zero, b::add);
                } else if (ord == 1) {
                    result = reduce(b, magnitude, dims, keepdim, zero, b::add);
                } else if (ord == 2) {
                    result = b.sqrt(reduce(b, b.multiply(magnitude, magnitude), dims, keepdim, zero, b::add));
                } else {
                    HloValue powered = b.power(magnitude, b.constant(magnitude.type(), ord));
                    HloValue sum = reduce(b, powered, dims, keepdim, zero, b::add);
                    result = b.power(sum, b.constant(sum.type(), 1 / ord));
                }
                return b.convert(result, out);
            });
}
