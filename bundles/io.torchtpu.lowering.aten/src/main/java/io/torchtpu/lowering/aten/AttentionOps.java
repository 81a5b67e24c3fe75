package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import java.util.Arrays;
import java.util.List;

/**
 * What transformers need beyond matmuls and softmax: scaled dot-product attention as one direct rule (two
 * {@code dot_general}s around a masked softmax, which XLA fuses better than a chain of ATen nodes), and dropout,
 * which is the identity at inference.
 */
final class AttentionOps {
    private AttentionOps() {
    }

    // ---- scaled dot-product attention -------------------------------------------------------------

    /** Query [..., L, E], key [..., S, E], value [..., S, Ev]: the broadcast batch shape and the result type [..., L, Ev]. */
    private record Shapes(long[] batch, long length, long sourceLength, long headGroups, TensorType result) {
    }

    private static Shapes shapes(Node n) {
        TensorType q = n.input(0).type();
        TensorType k = n.input(1).type();
        TensorType v = n.input(2).type();
        if (q.rank() < 2 || k.rank() != q.rank() || v.rank() != q.rank()) {
            throw new IllegalArgumentException(n.op() + ": query " + q + ", key " + k + " and value " + v
                    + " must have one rank of 2 or more ([..., length, embedding])");
        }
        if (!q.dtype().isFloatingPoint() || k.dtype() != q.dtype() || v.dtype() != q.dtype()) {
            throw new IllegalArgumentException(n.op() + ": query, key and value must share one floating point dtype, got "
                    + q.dtype() + ", " + k.dtype() + ", " + v.dtype());
        }
        int rank = q.rank();
        if (q.dim(rank - 1) != k.dim(rank - 1) || k.dim(rank - 2) != v.dim(rank - 2)) {
            throw new IllegalArgumentException(n.op() + ": query " + q + " and key " + k + " must share the embedding size, key and value "
                    + v + " the source length");
        }
        long[] qBatch = Arrays.copyOf(q.shape(), rank - 2);
        long[] kBatch = Arrays.copyOf(k.shape(), rank - 2);
        long[] vBatch = Arrays.copyOf(v.shape(), rank - 2);
        long headGroups = 1;
        if (n.boolAttr("enable_gqa", false) && rank >= 3) {
            // grouped-query attention: each key/value head serves query heads / key heads consecutive query heads
            long heads = q.dim(rank - 3);
            long kvHeads = k.dim(rank - 3);
            if (kvHeads != v.dim(rank - 3) || heads % kvHeads != 0) {
                throw new IllegalArgumentException(n.op() + ": with enable_gqa the query heads (" + heads
                        + ") must be a multiple of the key and value heads (" + kvHeads + ", " + v.dim(rank - 3) + ")");
            }
            headGroups = heads / kvHeads;
            kBatch[rank - 3] = heads;
            vBatch[rank - 3] = heads;
        }
        long[] batch = TypePromotion.broadcastShapes(TypePromotion.broadcastShapes(qBatch, kBatch), vBatch);
        long[] result = Arrays.copyOf(batch, rank);
        result[rank - 2] = q.dim(rank - 2);
        result[rank - 1] = v.dim(rank - 1);
        if (n.floatAttr("dropout_p", 0) != 0) {
            throw new IllegalArgumentException(n.op() + ": dropout_p=" + n.floatAttr("dropout_p", 0)
                    + " drops at random, which inference does not do; export the model in eval mode (dropout_p=0)");
        }
        if (n.inputs().size() > 3) {
            TensorType mask = n.input(3).type();
            if (n.boolAttr("is_causal", false)) {
                throw new IllegalArgumentException(n.op() + ": give either attn_mask or is_causal=True, not both");
            }
            if (mask.dtype() != DType.BOOL && !mask.dtype().isFloatingPoint()) {
                throw new IllegalArgumentException(n.op() + ": attn_mask " + mask + " must be bool (True attends) or floating point (added)");
            }
            long[] scores = Arrays.copyOf(batch, rank);
            scores[rank - 2] = q.dim(rank - 2);
            scores[rank - 1] = k.dim(rank - 2);
            if (!Arrays.equals(TypePromotion.broadcastShapes(mask.shape(), scores), scores)) {
                throw new IllegalArgumentException(n.op() + ": attn_mask " + mask + " does not broadcast to the scores "
                        + Arrays.toString(scores));
            }
        }
        return new Shapes(batch, q.dim(rank - 2), k.dim(rank - 2), headGroups, TensorType.of(q.dtype(), result));
    }

    /** Repeats each head of [..., H, S, E] {@code groups} times in place: [..., H * groups, S, E]. */
    private static HloValue repeatHeads(FunctionBuilder b, HloValue x, long groups) {
        if (groups == 1) {
            return x;
        }
        int rank = x.rank();
        long[] shape = x.shape();
        long[] withGroups = new long[rank + 1];
        long[] dims = new long[rank];
        for (int i = 0, j = 0; i < rank + 1; i++) {
            if (i == rank - 2) {
                withGroups[i] = groups;
            } else {
                withGroups[i] = shape[j];
                dims[j++] = i;
            }
        }
        long[] repeated = shape.clone();
        repeated[rank - 3] *= groups;
        return b.reshape(b.broadcastInDim(x, withGroups, dims), repeated);
    }

    private static long[] withTail(long[] batch, long... tail) {
        long[] shape = Arrays.copyOf(batch, batch.length + tail.length);
        System.arraycopy(tail, 0, shape, batch.length, tail.length);
        return shape;
    }

    /**
     * softmax(q k^T * scale + mask) v with scale 1/sqrt(E) unless given; is_causal lets query i attend source
     * positions 0..i; a bool mask attends where True. A row that attends nothing gives 0, as PyTorch's CPU kernel does.
     */
    private static HloValue attention(FunctionBuilder b, Node n, List<HloValue> x) {
        Shapes s = shapes(n);
        DType dtype = x.get(0).dtype();
        int rank = x.get(0).rank();
        int batchRank = rank - 2;
        long embedding = x.get(0).shape()[rank - 1];
        HloValue q = b.broadcastTo(Metas.upcast(b, x.get(0)), withTail(s.batch(), s.length(), embedding));
        HloValue k = b.broadcastTo(repeatHeads(b, Metas.upcast(b, x.get(1)), s.headGroups()), withTail(s.batch(), s.sourceLength(), embedding));
        HloValue v = repeatHeads(b, Metas.upcast(b, x.get(2)), s.headGroups());
        v = b.broadcastTo(v, withTail(s.batch(), s.sourceLength(), v.shape()[rank - 1]));
        long[] batchDims = ReductionOps.identity(batchRank);
        HloValue scores = b.dotGeneral(q, k, batchDims, batchDims, new long[] {rank - 1}, new long[] {rank - 1});
        double scale = n.floatAttr("scale", 1 / Math.sqrt(embedding));
        scores = b.multiply(scores, b.constant(scores.type(), scale));
        HloValue negativeInfinity = b.constant(scores.type(), Double.NEGATIVE_INFINITY);
        if (x.size() > 3) {
            HloValue mask = b.broadcastTo(x.get(3), scores.shape());
            scores = mask.dtype() == DType.BOOL ? b.select(mask, scores, negativeInfinity) : b.add(scores, b.convert(mask, scores.dtype()));
        } else if (n.boolAttr("is_causal", false)) {
            TensorType positions = TensorType.of(DType.I64, scores.shape());
            HloValue attends = b.compare(Direction.LE, b.iota(positions, rank - 1), b.iota(positions, rank - 2));
            scores = b.select(attends, scores, negativeInfinity);
        }
        long[] last = {rank - 1};
        HloValue max = ReductionOps.reduceKeep(b, scores, last, ReductionOps.lowest(b, scores.dtype()), b::maximum);
        // a fully masked row has max -inf; shifting by 0 instead keeps exp at 0 rather than NaN
        HloValue finiteMax = b.select(b.compare(Direction.EQ, max, negativeInfinity), b.constant(max.type(), 0.0), max);
        HloValue weights = b.exponential(b.subtract(scores, finiteMax));
        HloValue sum = ReductionOps.reduceKeep(b, weights, last, b.scalar(scores.dtype(), 0), b::add);
        HloValue safeSum = b.select(b.compare(Direction.EQ, sum, b.constant(sum.type(), 0.0)), b.constant(sum.type(), 1.0), sum);
        HloValue probabilities = b.divide(weights, safeSum);
        HloValue out = b.dotGeneral(probabilities, v, batchDims, batchDims, new long[] {rank - 1}, new long[] {rank - 2});
        return b.convert(out, dtype);
    }

    /** {@code scaled_dot_product_attention(query, key, value, attn_mask?, dropout_p=0, is_causal=False, scale=None, enable_gqa=False)}. */
    static final AtenOp SCALED_DOT_PRODUCT_ATTENTION = op("aten::scaled_dot_product_attention")
            .meta((n, p) -> List.of(shapes(n).result()))
            .lower((c, n, x) -> attention(c.builder(), n, x));

    // ---- dropout ----------------------------------------------------------------------------------

    /** Dropout is the identity unless it trains with p > 0, which draws random masks that inference does not. */
    private static void inference(Node n) {
        double p = n.floatAttr("p", 0.5);
        boolean train = n.boolAttr("train", true); // native_dropout's train=None means training
        if (train && p != 0) {
            throw new IllegalArgumentException(n.op() + " with train=True and p=" + p
                    + " drops elements at random; export the model in eval mode (model.eval()) so that dropout is the identity");
        }
    }

    /** {@code dropout(input, p, train)} and its variants that share the signature. */
    static final AtenOp DROPOUT = op("aten::dropout", "aten::alpha_dropout", "aten::feature_dropout", "aten::feature_alpha_dropout")
            .meta((n, p) -> {
                inference(n);
                return List.of(n.input(0).type());
            }).lower((c, n, x) -> x.get(0));

    /** {@code native_dropout(input, p, train?) -> (output, mask)}: the Core ATen form; the mask keeps everything. */
    static final AtenOp NATIVE_DROPOUT = op("aten::native_dropout").meta((n, p) -> {
        inference(n);
        return List.of(n.input(0).type(), Metas.withDtype(n.input(0).type(), DType.BOOL));
    }).lowerAll((c, n, x) -> List.of(x.get(0), c.fill(x.get(0), DType.BOOL, 1)));
}
