package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import java.util.List;
import java.util.function.BinaryOperator;

/** Reductions over dimensions: sums, means, extrema, and the arg- and value-index forms of max and min. */
final class ReductionOps {
    private ReductionOps() {
    }

    /** The smallest value of a dtype (-inf for floats), the identity of max. */
    static HloValue lowest(FunctionBuilder b, DType dtype) {
        return switch (dtype) {
            case BOOL, U8 -> b.constant(TensorType.of(dtype), 0L);
            case I8 -> b.constant(TensorType.of(dtype), Byte.MIN_VALUE);
            case I16 -> b.constant(TensorType.of(dtype), Short.MIN_VALUE);
            case I32 -> b.constant(TensorType.of(dtype), Integer.MIN_VALUE);
            case I64 -> b.constant(TensorType.of(dtype), Long.MIN_VALUE);
            default -> b.scalar(dtype, Double.NEGATIVE_INFINITY);
        };
    }

    /** The largest value of a dtype (+inf for floats), the identity of min. */
    static HloValue highest(FunctionBuilder b, DType dtype) {
        return switch (dtype) {
            case BOOL -> b.constant(TensorType.of(dtype), 1L);
            case U8 -> b.constant(TensorType.of(dtype), 255L);
            case I8 -> b.constant(TensorType.of(dtype), Byte.MAX_VALUE);
            case I16 -> b.constant(TensorType.of(dtype), Short.MAX_VALUE);
            case I32 -> b.constant(TensorType.of(dtype), Integer.MAX_VALUE);
            case I64 -> b.constant(TensorType.of(dtype), Long.MAX_VALUE);
            default -> b.scalar(dtype, Double.POSITIVE_INFINITY);
        };
    }

    /**
     * max or min that returns NaN when either side is NaN, as PyTorch's reductions do; XLA's reductions may
     * reassociate into a max that drops NaN, so the region says it explicitly.
     */
    static BinaryOperator<HloValue> nanPropagating(FunctionBuilder b, BinaryOperator<HloValue> extremum) {
        return (x, y) -> {
            if (!x.dtype().isFloatingPoint()) {
                return extremum.apply(x, y);
            }
            HloValue xNan = b.compare(Direction.NE, x, x);
            return b.select(xNan, x, b.select(b.compare(Direction.NE, y, y), y, extremum.apply(x, y)));
        };
    }

    /** Reduces {@code dims} and keeps them as size 1, ready to broadcast back against the input. */
    static HloValue reduceKeep(FunctionBuilder b, HloValue x, long[] dims, HloValue init, BinaryOperator<HloValue> combine) {
        HloValue reduced = b.reduce(x, init, dims, combine);
        return b.broadcastInDim(b.reshape(reduced, Metas.reducedShape(x.shape(), dims, true)), x.shape(), identity(x.rank()));
    }

    static long[] identity(int rank) {
        long[] dims = new long[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = i;
        }
        return dims;
    }

    private static HloValue reduce(FunctionBuilder b, HloValue x, long[] dims, boolean keepdim, HloValue init, BinaryOperator<HloValue> combine) {
        HloValue reduced = b.reduce(x, init, dims, combine);
        return keepdim ? b.reshape(reduced, Metas.reducedShape(x.shape(), dims, true)) : reduced;
    }

    /** sum's dtype: the {@code dtype} attribute, else int64 for integers and bool, else the input's. */
    private static DType sumDtype(Node n) {
        DType input = n.input(0).type().dtype();
        return n.dtypeAttr("dtype").orElse(input.isFloatingPoint() ? input : TypePromotion.DEFAULT_INT);
    }

    private static AtenOp.Meta reducedMeta(java.util.function.Function<Node, DType> dtype) {
        return (n, p) -> {
            TensorType in = n.input(0).type();
            long[] dims = Metas.dims(n, "dim", in.rank());
            return List.of(TensorType.of(dtype.apply(n), Metas.reducedShape(in.shape(), dims, n.boolAttr("keepdim", false))));
        };
    }

    static final AtenOp SUM = op("aten::sum.dim_IntList").meta(reducedMeta(ReductionOps::sumDtype)).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        DType out = sumDtype(n);
        HloValue in = Metas.upcast(b, b.convert(x.get(0), out));
        long[] dims = Metas.dims(n, "dim", in.rank());
        return b.convert(reduce(b, in, dims, n.boolAttr("keepdim", false), b.scalar(in.dtype(), 0), b::add), out);
    });

    static final AtenOp MEAN = op("aten::mean.dim").meta(reducedMeta(n -> n.dtypeAttr("dtype").orElse(n.input(0).type().dtype())))
            .lower((c, n, x) -> {
                FunctionBuilder b = c.builder();
                DType out = n.dtypeAttr("dtype").orElse(x.get(0).dtype());
                HloValue in = Metas.upcast(b, b.convert(x.get(0), out));
                long[] dims = Metas.dims(n, "dim", in.rank());
                long count = 1;
                for (long d : dims) {
                    count *= in.shape()[(int) d];
                }
                HloValue sum = reduce(b, in, dims, n.boolAttr("keepdim", false), b.scalar(in.dtype(), 0), b::add);
                return b.convert(b.divide(sum, b.constant(sum.type(), (double) count)), out);
            });

    static final AtenOp AMAX = op("aten::amax").meta(reducedMeta(n -> n.input(0).type().dtype())).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue in = x.get(0);
        return reduce(b, in, Metas.dims(n, "dim", in.rank()), n.boolAttr("keepdim", false), lowest(b, in.dtype()),
                in.dtype() == DType.BOOL ? b::or : nanPropagating(b, b::maximum));
    });

    static final AtenOp AMIN = op("aten::amin").meta(reducedMeta(n -> n.input(0).type().dtype())).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue in = x.get(0);
        return reduce(b, in, Metas.dims(n, "dim", in.rank()), n.boolAttr("keepdim", false), highest(b, in.dtype()),
                in.dtype() == DType.BOOL ? b::and : nanPropagating(b, b::minimum));
    });

    // ---- value and index --------------------------------------------------------------------------

    /**
     * Reduces {@code x} along {@code dim} to (value, int64 index) of its maximum (or minimum): NaN wins, as in
     * PyTorch, and among equal values the first index wins, whatever order XLA combines in.
     */
    private static List<HloValue> extremumWithIndex(FunctionBuilder b, HloValue x, int dim, boolean max) {
        HloValue indices = b.iota(TensorType.of(DType.I64, x.shape()), dim);
        HloValue init = max ? lowest(b, x.dtype()) : highest(b, x.dtype());
        HloValue initIndex = b.constant(TensorType.of(DType.I64), Long.MAX_VALUE);
        return b.reduce(List.of(x, indices), List.of(init, initIndex), new long[] {dim}, (r, a) -> {
            HloValue accValue = a.get(0);
            HloValue accIndex = a.get(1);
            HloValue value = a.get(2);
            HloValue index = a.get(3);
            HloValue better = r.compare(max ? Direction.GT : Direction.LT, value, accValue);
            HloValue equal = r.compare(Direction.EQ, value, accValue);
            if (value.dtype().isFloatingPoint()) {
                HloValue valueNan = r.compare(Direction.NE, value, value);
                HloValue accNan = r.compare(Direction.NE, accValue, accValue);
                better = r.or(better, r.and(valueNan, r.not(accNan)));
                equal = r.or(equal, r.and(valueNan, accNan));
            }
            HloValue take = r.or(better, r.and(equal, r.compare(Direction.LT, index, accIndex)));
            return List.of(r.select(take, value, accValue), r.select(take, index, accIndex));
        });
    }

    private static AtenOp valueAndIndex(String opName, boolean max) {
        return op(opName).meta((n, p) -> {
            TensorType in = n.input(0).type();
            long[] shape = Metas.reducedShape(in.shape(), new long[] {Metas.dim(n.intAttr("dim"), in.rank())}, n.boolAttr("keepdim", false));
            return List.of(TensorType.of(in.dtype(), in.rank() == 0 ? new long[0] : shape), TensorType.of(DType.I64, in.rank() == 0 ? new long[0] : shape));
        }).lowerAll((c, n, x) -> {
            FunctionBuilder b = c.builder();
            HloValue in = x.get(0);
            if (in.rank() == 0) {
                return List.of(in, b.constant(TensorType.of(DType.I64), 0L));
            }
            int dim = Metas.dim(n.intAttr("dim"), in.rank());
            List<HloValue> result = extremumWithIndex(b, in, dim, max);
            if (!n.boolAttr("keepdim", false)) {
                return result;
            }
            long[] kept = Metas.reducedShape(in.shape(), new long[] {dim}, true);
            return List.of(b.reshape(result.get(0), kept), b.reshape(result.get(1), kept));
        });
    }

    static final AtenOp MAX_DIM = valueAndIndex("aten::max.dim", true);

    static final AtenOp MIN_DIM = valueAndIndex("aten::min.dim", false);

    /** argmax/argmin with {@code dim=None} work on the flattened input; keepdim then keeps every dimension as 1. */
    private static AtenOp argExtremum(String opName, boolean max) {
        return op(opName).meta((n, p) -> {
            TensorType in = n.input(0).type();
            boolean keepdim = n.boolAttr("keepdim", false);
            if (!n.has("dim")) {
                return List.of(TensorType.of(DType.I64, keepdim ? ones(in.rank()) : new long[0]));
            }
            long[] dims = {Metas.dim(n.intAttr("dim"), in.rank())};
            return List.of(TensorType.of(DType.I64, in.rank() == 0 ? new long[0] : Metas.reducedShape(in.shape(), dims, keepdim)));
        }).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            HloValue in = x.get(0);
            boolean keepdim = n.boolAttr("keepdim", false);
            if (!n.has("dim") || in.rank() == 0) {
                HloValue flat = b.reshape(in, in.type().elementCount());
                HloValue index = extremumWithIndex(b, flat, 0, max).get(1);
                return keepdim && in.rank() > 0 ? b.reshape(index, ones(in.rank())) : index;
            }
            int dim = Metas.dim(n.intAttr("dim"), in.rank());
            HloValue index = extremumWithIndex(b, in, dim, max).get(1);
            return keepdim ? b.reshape(index, Metas.reducedShape(in.shape(), new long[] {dim}, true)) : index;
        });
    }

    private static long[] ones(int rank) {
        long[] shape = new long[rank];
        java.util.Arrays.fill(shape, 1);
        return shape;
    }

    static final AtenOp ARGMAX = argExtremum("aten::argmax", true);

    static final AtenOp ARGMIN = argExtremum("aten::argmin", false);
}
