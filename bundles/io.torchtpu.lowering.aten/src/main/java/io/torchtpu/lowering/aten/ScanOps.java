package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.api.graph.Value;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BinaryOperator;

/** Ops along one dimension in order: cumulative sums and products, differences, sort and topk. */
final class ScanOps {
    private ScanOps() {
    }

    private static long[] ones(int rank) {
        long[] ones = new long[rank];
        Arrays.fill(ones, 1);
        return ones;
    }

    /**
     * An inclusive scan along {@code dim}: a reduce_window whose window is the whole dimension, padded before by
     * size - 1 elements of {@code init}, so that output i combines inputs 0..i. XLA rewrites it to a parallel scan.
     */
    private static HloValue scan(FunctionBuilder b, HloValue x, int dim, HloValue init, BinaryOperator<HloValue> combine) {
        long size = x.shape()[dim];
        if (size <= 1) {
            return x;
        }
        long[] window = ones(x.rank());
        window[dim] = size;
        long[] low = new long[x.rank()];
        low[dim] = size - 1;
        return b.reduceWindow(List.of(x), List.of(init), window, ones(x.rank()), ones(x.rank()), ones(x.rank()), low, new long[x.rank()],
                (r, a) -> List.of(combine.apply(a.get(0), a.get(1)))).get(0);
    }

    /** cumsum's and cumprod's dtype: the {@code dtype} attribute, else int64 for integers and bool, else the input's. */
    private static DType scanDtype(Node n) {
        DType input = n.input(0).type().dtype();
        return n.dtypeAttr("dtype").orElse(input.isFloatingPoint() ? input : TypePromotion.DEFAULT_INT);
    }

    private static AtenOp cumulative(String opName, double identity, boolean product) {
        return op(opName).meta((n, p) -> {
            TensorType in = n.input(0).type();
            Metas.dim(n.intAttr("dim"), in.rank());
            return List.of(Metas.withDtype(in, scanDtype(n)));
        }).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            DType out = scanDtype(n);
            HloValue in = Metas.upcast(b, b.convert(x.get(0), out));
            if (in.rank() == 0) {
                return b.convert(in, out);
            }
            int dim = Metas.dim(n.intAttr("dim"), in.rank());
            return b.convert(scan(b, in, dim, b.scalar(in.dtype(), identity), product ? b::multiply : b::add), out);
        });
    }

    static final AtenOp CUMSUM = cumulative("aten::cumsum", 0, false);

    static final AtenOp CUMPROD = cumulative("aten::cumprod", 1, true);

    // ---- diff -------------------------------------------------------------------------------------

    /**
     * {@code diff(self, n=1, dim=-1, prepend=None, append=None)}: the inputs are self, then prepend, then append, the
     * absent ones left out; a tracer with an append but no prepend passes an empty prepend (size 0 along dim).
     */
    private static long[] diffShape(Node n) {
        TensorType self = n.input(0).type();
        if (self.rank() == 0) {
            throw new IllegalArgumentException("diff: needs a tensor of rank 1 or more, got " + self);
        }
        int dim = Metas.dim(n.intAttr("dim", -1), self.rank());
        long order = n.intAttr("n", 1);
        if (order < 0) {
            throw new IllegalArgumentException("diff: n must be non-negative, got " + order);
        }
        long[] shape = self.shape();
        for (Value extra : n.inputs().subList(1, n.inputs().size())) {
            long[] other = extra.type().shape();
            if (other.length != shape.length) {
                throw new IllegalArgumentException("diff: prepend and append must have the rank of self " + self + ", got " + extra.type());
            }
            for (int d = 0; d < shape.length; d++) {
                if (d != dim && other[d] != self.dim(d)) {
                    throw new IllegalArgumentException("diff: " + extra.type() + " does not match self " + self + " outside dimension " + dim);
                }
            }
            shape[dim] += other[dim];
        }
        shape[dim] = Math.max(0, shape[dim] - order);
        return shape;
    }

    private static DType diffDtype(Node n) {
        return TypePromotion.resultType(n.inputs().stream().map(Value::type).toList(), List.of());
    }

    static final AtenOp DIFF = op("aten::diff").meta((n, p) -> List.of(TensorType.of(diffDtype(n), diffShape(n)))).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        DType dtype = diffDtype(n);
        int dim = Metas.dim(n.intAttr("dim", -1), x.get(0).rank());
        List<HloValue> parts = new ArrayList<>();
        if (x.size() > 1) {
            parts.add(b.convert(x.get(1), dtype));
        }
        parts.add(b.convert(x.get(0), dtype));
        if (x.size() > 2) {
            parts.add(b.convert(x.get(2), dtype));
        }
        HloValue result = parts.size() == 1 ? parts.get(0) : b.concatenate(parts, dim);
        long[] strides = ones(result.rank());
        for (long i = 0; i < n.intAttr("n", 1) && result.shape()[dim] > 0; i++) {
            long[] start = new long[result.rank()];
            long[] limit = result.shape();
            long[] shifted = new long[result.rank()];
            shifted[dim] = 1;
            limit[dim] -= 1;
            HloValue later = b.slice(result, shifted, result.shape(), strides);
            HloValue earlier = b.slice(result, start, limit, strides);
            // bool differences are "changed", as PyTorch's diff uses logical_xor for bool
            result = dtype == DType.BOOL ? b.xor(later, earlier) : b.subtract(later, earlier);
        }
        return result;
    });

    // ---- sort and topk ----------------------------------------------------------------------------

    /** PyTorch's order: NaN is larger than every number, so it sorts last ascending and first descending. */
    private static HloValue before(FunctionBuilder b, HloValue lhs, HloValue rhs, boolean descending) {
        HloValue ordered = b.compare(descending ? Direction.GT : Direction.LT, lhs, rhs);
        if (!lhs.dtype().isFloatingPoint()) {
            return ordered;
        }
        HloValue lhsNan = b.compare(Direction.NE, lhs, lhs);
        HloValue rhsNan = b.compare(Direction.NE, rhs, rhs);
        HloValue nanOrder = descending ? b.and(lhsNan, b.not(rhsNan)) : b.and(b.not(lhsNan), rhsNan);
        return b.or(ordered, nanOrder);
    }

    /** (values, int64 indices) sorted along {@code dim}; stable, so equal values keep their index order. */
    private static List<HloValue> sorted(FunctionBuilder b, HloValue x, int dim, boolean descending) {
        HloValue indices = b.iota(TensorType.of(DType.I64, x.shape()), dim);
        return b.sort(List.of(x, indices), dim, true, (r, a) -> List.of(before(r, a.get(0), a.get(1), descending)));
    }

    static final AtenOp SORT = op("aten::sort", "aten::sort.stable").meta((n, p) -> {
        TensorType in = n.input(0).type();
        Metas.dim(n.intAttr("dim", -1), in.rank());
        return List.of(in, Metas.withDtype(in, DType.I64));
    }).lowerAll((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue in = x.get(0);
        if (in.rank() == 0) {
            return List.of(in, b.constant(TensorType.of(DType.I64), 0L));
        }
        return sorted(b, in, Metas.dim(n.intAttr("dim", -1), in.rank()), n.boolAttr("descending", false));
    });

    /** The k largest (or smallest) along {@code dim}, in sorted order; equal values come in index order. */
    private static TensorType topkType(Node n, DType dtype) {
        TensorType in = n.input(0).type();
        long k = n.intAttr("k");
        if (in.rank() == 0) {
            if (k > 1) {
                throw new IllegalArgumentException("topk: k " + k + " is larger than the 1 element of a 0-d tensor");
            }
            return TensorType.of(dtype);
        }
        int dim = Metas.dim(n.intAttr("dim", -1), in.rank());
        if (k < 0 || k > in.dim(dim)) {
            throw new IllegalArgumentException("topk: k " + k + " is out of range for dimension " + dim + " of " + in);
        }
        long[] shape = in.shape();
        shape[dim] = k;
        return TensorType.of(dtype, shape);
    }

    static final AtenOp TOPK = op("aten::topk").meta((n, p) -> List.of(topkType(n, n.input(0).type().dtype()), topkType(n, DType.I64)))
            .lowerAll((c, n, x) -> {
                FunctionBuilder b = c.builder();
                HloValue in = x.get(0);
                if (in.rank() == 0) {
                    return List.of(in, b.constant(TensorType.of(DType.I64), 0L));
                }
                int dim = Metas.dim(n.intAttr("dim", -1), in.rank());
                List<HloValue> all = sorted(b, in, dim, n.boolAttr("largest", true));
                long[] limit = in.shape();
                limit[dim] = n.intAttr("k");
                long[] start = new long[in.rank()];
                return List.of(b.slice(all.get(0), start, limit, ones(in.rank())), b.slice(all.get(1), start, limit, ones(in.rank())));
            });
}
