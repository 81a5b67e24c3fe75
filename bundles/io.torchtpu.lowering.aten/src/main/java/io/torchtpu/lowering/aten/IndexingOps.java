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

/**
 * Indexing with index tensors: embedding, index_select, gather, scatter, advanced indexing and writing slices
 * back (slice_scatter, select_scatter). Indices are read as int64; where PyTorch accepts negative indices
 * (advanced indexing) they count from the end. Out-of-range indices are clamped by XLA rather than reported:
 * PyTorch raises there at run time.
 *
 * <p>Graph conventions for optional tensors in lists: {@code aten::index.Tensor} and {@code aten::index_put}
 * take their present index tensors as inputs after {@code self} and the attribute {@code indexed_dims} (the
 * positions of those tensors in the {@code indices} list; absent means 0, 1, ...), so {@code x[:, i]} is
 * {@code index.Tensor(x, i, indexed_dims=[1])}.
 */
final class IndexingOps {
    private IndexingOps() {
    }

    private static void integerIndex(String op, String argument, TensorType index) {
        if (!TypePromotion.isIntegral(index.dtype())) {
            throw new IllegalArgumentException(op + ": " + argument + " must be an integer tensor (int64 or int32), got " + index
                    + (index.dtype() == DType.BOOL ? "; a bool mask has a data-dependent result shape, use masked_fill or where" : ""));
        }
    }

    private static long[] concat(long[] first, long... rest) {
        long[] all = Arrays.copyOf(first, first.length + rest.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }

    private static long[] range(int from, int to) {
        long[] values = new long[Math.max(0, to - from)];
        for (int i = 0; i < values.length; i++) {
            values[i] = from + i;
        }
        return values;
    }

    /** int64 indices with negatives counted from the end of a dimension of {@code size}, as Python indexing does. */
    private static HloValue wrapNegative(FunctionBuilder b, HloValue index, long size) {
        HloValue i = b.convert(index, DType.I64);
        HloValue negative = b.compare(Direction.LT, i, b.constant(i.type(), 0L));
        return b.select(negative, b.add(i, b.constant(i.type(), size)), i);
    }

    // ---- embedding, index_select: whole slices along one dimension ---------------------------------

    /** The shape of {@code take}: the operand's with dimension {@code dim} replaced by the index's shape. */
    private static long[] takeShape(long[] operand, int dim, long[] index) {
        long[] shape = concat(Arrays.copyOf(operand, dim), index);
        return concat(shape, Arrays.copyOfRange(operand, dim + 1, operand.length));
    }

    /** {@code operand} sliced at every index along {@code dim}: one gather whose batch dimensions are the index's. */
    static HloValue take(FunctionBuilder b, HloValue operand, int dim, HloValue index) {
        int k = index.rank();
        long[] sliceSizes = operand.shape();
        sliceSizes[dim] = 1;
        long[] offsetDims = new long[operand.rank() - 1];
        for (int i = 0, j = 0; i < operand.rank(); i++) {
            if (i != dim) {
                offsetDims[j++] = i < dim ? i : i - 1 + k;
            }
        }
        return b.gather(operand, b.convert(index, DType.I64), offsetDims, new long[] {dim}, new long[] {dim}, k, sliceSizes);
    }

    static final AtenOp EMBEDDING = op("aten::embedding").meta((n, p) -> {
        TensorType weight = n.input(0).type();
        TensorType indices = n.input(1).type();
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("embedding: weight must be [num_embeddings, embedding_dim], got " + weight);
        }
        integerIndex("embedding", "indices", indices);
        return List.of(TensorType.of(weight.dtype(), takeShape(weight.shape(), 0, indices.shape())));
    }).lower((c, n, x) -> take(c.builder(), x.get(0), 0, x.get(1)));

    static final AtenOp INDEX_SELECT = op("aten::index_select").meta((n, p) -> {
        TensorType self = n.input(0).type();
        TensorType index = n.input(1).type();
        integerIndex("index_select", "index", index);
        if (index.rank() > 1) {
            throw new IllegalArgumentException("index_select: index must be 0-d or 1-d, got " + index);
        }
        if (self.rank() == 0) {
            return List.of(self);
        }
        int dim = Metas.dim(n.intAttr("dim"), self.rank());
        return List.of(TensorType.of(self.dtype(), takeShape(self.shape(), dim, new long[] {index.elementCount()})));
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        if (x.get(0).rank() == 0) {
            return x.get(0);
        }
        HloValue index = b.reshape(x.get(1), x.get(1).type().elementCount());
        return take(b, x.get(0), Metas.dim(n.intAttr("dim"), x.get(0).rank()), index);
    });

    // ---- gather and scatter along one dimension ----------------------------------------------------

    /**
     * Full coordinates for gather/scatter along {@code dim}: shape {@code index.shape + [rank]}, each element's own
     * coordinates with the one along {@code dim} replaced by the index value.
     */
    private static HloValue coordinates(FunctionBuilder b, HloValue index, int dim, long size) {
        long[] column = concat(index.shape(), 1);
        List<HloValue> parts = new ArrayList<>();
        for (int d = 0; d < index.rank(); d++) {
            parts.add(d == dim ? b.reshape(wrapNegative(b, index, size), column) : b.iota(TensorType.of(DType.I64, column), d));
        }
        return b.concatenate(parts, index.rank());
    }

    private static void checkAlongDim(String op, TensorType self, TensorType index, int dim, TensorType src) {
        integerIndex(op, "index", index);
        if (index.rank() != self.rank()) {
            throw new IllegalArgumentException(op + ": index must have the rank of self (" + self.rank() + "), got " + index);
        }
        for (int d = 0; d < self.rank(); d++) {
            if (d != dim && index.dim(d) > self.dim(d)) {
                throw new IllegalArgumentException(op + ": index " + index + " is larger than self " + self + " in dimension " + d);
            }
            if (src != null && index.dim(d) > src.dim(d)) {
                throw new IllegalArgumentException(op + ": index " + index + " is larger than src " + src + " in dimension " + d);
            }
        }
    }

    static final AtenOp GATHER = op("aten::gather").meta((n, p) -> {
        TensorType self = n.input(0).type();
        TensorType index = n.input(1).type();
        checkAlongDim("gather", self, index, Metas.dim(n.intAttr("dim"), self.rank()), null);
        return List.of(TensorType.of(self.dtype(), index.shape()));
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue self = x.get(0);
        if (self.rank() == 0) {
            return self;
        }
        int dim = Metas.dim(n.intAttr("dim"), self.rank());
        HloValue coordinates = coordinates(b, x.get(1), dim, self.shape()[dim]);
        long[] all = range(0, self.rank());
        long[] ones = new long[self.rank()];
        Arrays.fill(ones, 1);
        return b.gather(self, coordinates, new long[0], all, all, self.rank(), ones);
    });

    /** The src of a scatter cut to the index's shape, or the scalar {@code value} in that shape, in self's dtype. */
    private static HloValue scatterUpdates(FunctionBuilder b, Node n, HloValue self, HloValue index, List<HloValue> x) {
        TensorType type = TensorType.of(self.dtype(), index.shape());
        if (x.size() < 3) {
            return CreationOps.filled(b, type, n.scalarAttr("value"));
        }
        HloValue src = x.get(2);
        long[] start = new long[src.rank()];
        long[] strides = new long[src.rank()];
        Arrays.fill(strides, 1);
        return b.convert(b.slice(src, start, index.shape(), strides), self.dtype());
    }

    private static HloValue scatterAlongDim(FunctionBuilder b, Node n, List<HloValue> x, String reduce) {
        HloValue self = x.get(0);
        HloValue index = x.get(1);
        if (self.rank() == 0 || index.type().elementCount() == 0) {
            return self;
        }
        int dim = Metas.dim(n.intAttr("dim"), self.rank());
        HloValue updates = scatterUpdates(b, n, self, index, x);
        long[] all = range(0, self.rank());
        return b.scatter(self, coordinates(b, index, dim, self.shape()[dim]), updates, new long[0], all, all, self.rank(),
                (r, args) -> List.of(combine(r, reduce, args.get(0), args.get(1))));
    }

    /** The scatter region: replace, or PyTorch's {@code reduce} ("add", "sum", "multiply", "prod"); bool adds as or. */
    private static HloValue combine(FunctionBuilder r, String reduce, HloValue current, HloValue update) {
        boolean bool = current.dtype() == DType.BOOL;
        return switch (reduce) {
            case "" -> update;
            case "add", "sum" -> bool ? r.or(current, update) : r.add(current, update);
            case "multiply", "prod" -> bool ? r.and(current, update) : r.multiply(current, update);
            default -> throw new IllegalArgumentException("scatter: reduce must be \"add\" or \"multiply\", got \"" + reduce + "\"");
        };
    }

    private static AtenOp.Meta scatterMeta(String op) {
        return (n, p) -> {
            TensorType self = n.input(0).type();
            TensorType src = n.inputs().size() > 2 ? n.input(2).type() : null;
            checkAlongDim(op, self, n.input(1).type(), Metas.dim(n.intAttr("dim"), self.rank()), src);
            if (src != null && src.rank() != self.rank()) {
                throw new IllegalArgumentException(op + ": src must have the rank of self, got " + src + " for " + self);
            }
            return List.of(self);
        };
    }

    /** Duplicate indices write in an unspecified order, as in PyTorch. */
    static final AtenOp SCATTER = op("aten::scatter.src", "aten::scatter.value").meta(scatterMeta("scatter"))
            .lower((c, n, x) -> scatterAlongDim(c.builder(), n, x, ""));

    static final AtenOp SCATTER_REDUCE = op("aten::scatter.reduce", "aten::scatter.value_reduce").meta(scatterMeta("scatter"))
            .lower((c, n, x) -> scatterAlongDim(c.builder(), n, x, n.stringAttr("reduce", "")));

    static final AtenOp SCATTER_ADD = op("aten::scatter_add").meta(scatterMeta("scatter_add"))
            .lower((c, n, x) -> scatterAlongDim(c.builder(), n, x, "add"));

    // ---- advanced indexing: index.Tensor and index_put ---------------------------------------------

    /**
     * Where advanced indexing puts things: the indexed dims of self, the broadcast shape of the index tensors,
     * and whether the indexed dims are adjacent (then the broadcast dims replace them in place, else they go first).
     */
    private record Advanced(long[] dims, long[] broadcast, boolean adjacent) {
        static Advanced of(String op, Node n, TensorType self, List<TensorType> indices) {
            if (indices.isEmpty()) {
                throw new IllegalArgumentException(op + ": needs at least one index tensor");
            }
            long[] dims;
            if (n.has("indexed_dims")) {
                dims = n.intsAttr("indexed_dims").stream().mapToLong(d -> Metas.dim(d, self.rank())).toArray();
            } else {
                dims = range(0, indices.size());
            }
            if (dims.length != indices.size()) {
                throw new IllegalArgumentException(op + ": indexed_dims " + Arrays.toString(dims) + " must name one dimension per index tensor ("
                        + indices.size() + ")");
            }
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] >= self.rank() || (i > 0 && dims[i] <= dims[i - 1])) {
                    throw new IllegalArgumentException(op + ": indexed_dims " + Arrays.toString(dims) + " must increase and be below the rank "
                            + self.rank() + " of self");
                }
                integerIndex(op, "indices[" + dims[i] + "]", indices.get(i));
            }
            boolean adjacent = dims[dims.length - 1] - dims[0] == dims.length - 1;
            return new Advanced(dims, TypePromotion.broadcastShapes(indices), adjacent);
        }

        boolean indexed(int dim) {
            return Arrays.stream(dims).anyMatch(d -> d == dim);
        }

        /** Positions, in the result, of self's dimensions that are not indexed (in their order). */
        long[] keptDims(int rank) {
            long[] kept = new long[rank - dims.length];
            for (int d = 0, j = 0; d < rank; d++) {
                if (!indexed(d)) {
                    kept[j] = adjacent ? (d < dims[0] ? d : d - dims.length + broadcast.length) : broadcast.length + j;
                    j++;
                }
            }
            return kept;
        }

        long[] resultShape(long[] self) {
            long[] shape = new long[self.length - dims.length + broadcast.length];
            long[] kept = keptDims(self.length);
            boolean[] taken = new boolean[shape.length];
            for (int d = 0, j = 0; d < self.length; d++) {
                if (!indexed(d)) {
                    shape[(int) kept[j]] = self[d];
                    taken[(int) kept[j++]] = true;
                }
            }
            for (int i = 0, j = 0; i < shape.length; i++) {
                if (!taken[i]) {
                    shape[i] = broadcast[j++];
                }
            }
            return shape;
        }

        /** The index tensors broadcast, wrapped and stacked along a new last dimension: {@code broadcast + [k]}. */
        HloValue stacked(FunctionBuilder b, List<HloValue> indices, long[] self) {
            long[] column = concat(broadcast, 1);
            List<HloValue> parts = new ArrayList<>();
            for (int i = 0; i < indices.size(); i++) {
                HloValue index = b.broadcastTo(wrapNegative(b, indices.get(i), self[(int) dims[i]]), broadcast);
                parts.add(b.reshape(index, column));
            }
            return parts.size() == 1 ? parts.get(0) : b.concatenate(parts, broadcast.length);
        }

        long[] sliceSizes(long[] self) {
            long[] sizes = self.clone();
            for (long d : dims) {
                sizes[(int) d] = 1;
            }
            return sizes;
        }
    }

    private static List<TensorType> types(List<Value> values) {
        return values.stream().map(Value::type).toList();
    }

    static final AtenOp INDEX = op("aten::index.Tensor").meta((n, p) -> {
        TensorType self = n.input(0).type();
        Advanced advanced = Advanced.of("index.Tensor", n, self, types(n.inputs().subList(1, n.inputs().size())));
        return List.of(TensorType.of(self.dtype(), advanced.resultShape(self.shape())));
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue self = x.get(0);
        List<HloValue> indices = x.subList(1, x.size());
        Advanced advanced = Advanced.of("index.Tensor", n, self.type(), indices.stream().map(HloValue::type).toList());
        return b.gather(self, advanced.stacked(b, indices, self.shape()), advanced.keptDims(self.rank()), advanced.dims(), advanced.dims(),
                advanced.broadcast().length, advanced.sliceSizes(self.shape()));
    });

    /** {@code index_put(self, indices..., values, accumulate=False)}: values broadcast to what {@code index.Tensor} would give. */
    static final AtenOp INDEX_PUT = op("aten::index_put").meta((n, p) -> {
        TensorType self = n.input(0).type();
        if (n.inputs().size() < 3) {
            throw new IllegalArgumentException("index_put: needs self, at least one index tensor and values as inputs");
        }
        List<TensorType> indices = types(n.inputs().subList(1, n.inputs().size() - 1));
        long[] target = Advanced.of("index_put", n, self, indices).resultShape(self.shape());
        TensorType values = n.input(n.inputs().size() - 1).type();
        long[] together = TypePromotion.broadcastShapes(values.shape(), target);
        if (!Arrays.equals(together, target)) {
            throw new IllegalArgumentException("index_put: values " + values + " do not broadcast to the indexed shape " + Arrays.toString(target));
        }
        return List.of(self);
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue self = x.get(0);
        List<HloValue> indices = x.subList(1, x.size() - 1);
        Advanced advanced = Advanced.of("index_put", n, self.type(), indices.stream().map(HloValue::type).toList());
        long[] target = advanced.resultShape(self.shape());
        if (TensorType.of(DType.I64, target).elementCount() == 0) {
            return self;
        }
        HloValue values = b.broadcastTo(b.convert(x.get(x.size() - 1), self.dtype()), target);
        String reduce = n.boolAttr("accumulate", false) ? "add" : "";
        return b.scatter(self, advanced.stacked(b, indices, self.shape()), values, advanced.keptDims(self.rank()), advanced.dims(),
                advanced.dims(), advanced.broadcast().length, (r, args) -> List.of(combine(r, reduce, args.get(0), args.get(1))));
    });

    // ---- writing a slice back: slice_scatter, select_scatter ---------------------------------------

    /** {@code src} written into {@code self} at {@code start, start + step, ...} along {@code dim}: padded into place, then selected. */
    private static HloValue embed(FunctionBuilder b, HloValue self, HloValue src, int dim, long start, long step) {
        if (src.type().elementCount() == 0) {
            return self;
        }
        long count = src.shape()[dim];
        long[] low = new long[self.rank()];
        long[] high = new long[self.rank()];
        long[] interior = new long[self.rank()];
        low[dim] = start;
        interior[dim] = step - 1;
        high[dim] = self.shape()[dim] - start - (count - 1) * step - 1;
        HloValue placed = b.pad(b.convert(src, self.dtype()), b.constant(TensorType.of(self.dtype()), 0L), low, high, interior);
        HloValue mask = b.pad(b.constant(TensorType.of(DType.BOOL, src.shape()), 1L), b.constant(TensorType.of(DType.BOOL), 0L), low, high,
                interior);
        return b.select(mask, placed, self);
    }

    /** Python slice bounds of {@code slice_scatter}: {dim, start, end, step}; negative counts from the end, out of range clamps. */
    private static long[] sliceBounds(Node n, TensorType self) {
        int dim = Metas.dim(n.intAttr("dim", 0), self.rank());
        long size = self.dim(dim);
        long start = n.intAttr("start", 0);
        long end = n.intAttr("end", Long.MAX_VALUE);
        long step = n.intAttr("step", 1);
        if (step < 1) {
            throw new IllegalArgumentException("slice_scatter: step must be positive, got " + step);
        }
        start = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
        end = Math.min(Math.max(end < 0 ? end + size : end, start), size);
        return new long[] {dim, start, end, step};
    }

    static final AtenOp SLICE_SCATTER = op("aten::slice_scatter").meta((n, p) -> {
        TensorType self = n.input(0).type();
        TensorType src = n.input(1).type();
        long[] s = sliceBounds(n, self);
        long[] expected = self.shape();
        expected[(int) s[0]] = (s[2] - s[1] + s[3] - 1) / s[3];
        if (!Arrays.equals(expected, src.shape())) {
            throw new IllegalArgumentException("slice_scatter: src must have the slice's shape " + Arrays.toString(expected) + ", got " + src);
        }
        return List.of(self);
    }).lower((c, n, x) -> {
        long[] s = sliceBounds(n, x.get(0).type());
        return embed(c.builder(), x.get(0), x.get(1), (int) s[0], s[1], s[3]);
    });

    static final AtenOp SELECT_SCATTER = op("aten::select_scatter").meta((n, p) -> {
        TensorType self = n.input(0).type();
        int dim = Metas.dim(n.intAttr("dim"), self.rank());
        long index = n.intAttr("index");
        if (index < -self.dim(dim) || index >= self.dim(dim)) {
            throw new IllegalArgumentException("select_scatter: index " + index + " is out of range for dimension " + dim + " of " + self);
        }
        long[] expected = Metas.reducedShape(self.shape(), new long[] {dim}, false);
        if (!Arrays.equals(expected, n.input(1).type().shape())) {
            throw new IllegalArgumentException("select_scatter: src must have shape " + Arrays.toString(expected) + ", got " + n.input(1).type());
        }
        return List.of(self);
    }).lower((c, n, x) -> {
        HloValue self = x.get(0);
        int dim = Metas.dim(n.intAttr("dim"), self.rank());
        long index = n.intAttr("index");
        index = index < 0 ? index + self.shape()[dim] : index;
        HloValue src = c.builder().reshape(x.get(1), Metas.reducedShape(self.shape(), new long[] {dim}, true));
        return embed(c.builder(), self, src, dim, index, 1);
    });
}
