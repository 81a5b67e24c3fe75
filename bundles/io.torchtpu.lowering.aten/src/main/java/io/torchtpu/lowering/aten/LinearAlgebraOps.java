package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenDecomposition.decompose;
import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.api.graph.Value;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Matrix products and transposes; {@code linear} decomposes into {@code t}, {@code matmul} and {@code add}. */
final class LinearAlgebraOps {
    private LinearAlgebraOps() {
    }

    private static void sameDtype(TensorType a, TensorType b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException("expected both operands to have one dtype, got " + a + " and " + b);
        }
    }

    static final AtenOp MM = op("aten::mm").meta((n, p) -> {
        TensorType a = n.input(0).type();
        TensorType b = n.input(1).type();
        sameDtype(a, b);
        if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(0)) {
            throw new IllegalArgumentException("mm needs [n, k] and [k, m], got " + a + " and " + b);
        }
        return List.of(TensorType.of(a.dtype(), a.dim(0), b.dim(1)));
    }).lower((c, n, x) -> c.builder().dotGeneral(x.get(0), x.get(1), new long[0], new long[0], new long[] {1}, new long[] {0}));

    static final AtenOp BMM = op("aten::bmm").meta((n, p) -> {
        TensorType a = n.input(0).type();
        TensorType b = n.input(1).type();
        sameDtype(a, b);
        if (a.rank() != 3 || b.rank() != 3 || a.dim(0) != b.dim(0) || a.dim(2) != b.dim(1)) {
            throw new IllegalArgumentException("bmm needs [b, n, k] and [b, k, m], got " + a + " and " + b);
        }
        return List.of(TensorType.of(a.dtype(), a.dim(0), a.dim(1), b.dim(2)));
    }).lower((c, n, x) -> c.builder().dotGeneral(x.get(0), x.get(1), new long[] {0}, new long[] {0}, new long[] {2}, new long[] {1}));

    /** {@code beta * self + alpha * (mat1 @ mat2)}; with beta 0 self is ignored, NaNs included, as in PyTorch. */
    static final AtenOp ADDMM = op("aten::addmm").meta((n, p) -> {
        TensorType a = n.input(1).type();
        TensorType b = n.input(2).type();
        sameDtype(a, b);
        sameDtype(n.input(0).type(), a);
        if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(0)) {
            throw new IllegalArgumentException("addmm needs [n, k] and [k, m], got " + a + " and " + b);
        }
        long[] shape = {a.dim(0), b.dim(1)};
        TypePromotion.broadcastShapes(n.input(0).type().shape(), shape);
        return List.of(TensorType.of(a.dtype(), shape));
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue product = b.dotGeneral(x.get(1), x.get(2), new long[0], new long[0], new long[] {1}, new long[] {0});
        Scalar alpha = n.scalarAttr("alpha", Scalar.of(1));
        Scalar beta = n.scalarAttr("beta", Scalar.of(1));
        if (alpha.asDouble() != 1) {
            product = b.multiply(product, c.fill(product, alpha));
        }
        if (beta.asDouble() == 0) {
            return product;
        }
        HloValue self = b.broadcastTo(x.get(0), product.shape());
        if (beta.asDouble() != 1) {
            self = b.multiply(self, c.fill(self, beta));
        }
        return b.add(self, product);
    });

    /** PyTorch's matmul shapes: 1-D operands gain a dimension that is dropped again, batch dimensions broadcast. */
    private static long[] matmulShape(long[] a, long[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new IllegalArgumentException("matmul needs operands of rank 1 or more");
        }
        long[] a2 = a.length == 1 ? new long[] {1, a[0]} : a;
        long[] b2 = b.length == 1 ? new long[] {b[0], 1} : b;
        if (a2[a2.length - 1] != b2[b2.length - 2]) {
            throw new IllegalArgumentException("matmul: " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not contract");
        }
        long[] batch = TypePromotion.broadcastShapes(Arrays.copyOf(a2, a2.length - 2), Arrays.copyOf(b2, b2.length - 2));
        long[] shape = Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = a2[a2.length - 2];
        shape[batch.length + 1] = b2[b2.length - 1];
        if (b.length == 1) {
            shape = Arrays.copyOf(shape, shape.length - 1);
        }
        if (a.length == 1) {
            long[] dropped = new long[shape.length - 1];
            System.arraycopy(shape, 0, dropped, 0, shape.length - (b.length == 1 ? 1 : 2));
            if (b.length != 1) {
                dropped[dropped.length - 1] = shape[shape.length - 1];
            }
            shape = dropped;
        }
        return shape;
    }

    static final AtenOp MATMUL = op("aten::matmul").meta((n, p) -> {
        sameDtype(n.input(0).type(), n.input(1).type());
        return List.of(TensorType.of(n.input(0).type().dtype(), matmulShape(n.input(0).type().shape(), n.input(1).type().shape())));
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue a = x.get(0);
        HloValue m = x.get(1);
        long[] resultShape = matmulShape(a.shape(), m.shape());
        if (a.rank() == 1) {
            a = b.reshape(a, 1, a.shape()[0]);
        }
        if (m.rank() == 1) {
            m = b.reshape(m, m.shape()[0], 1);
        }
        if (m.rank() == 2) {
            // [..., K] @ [K, N] (linear's shape): one contraction with no batch dimensions, which XLA runs as one
            // [prod(...), K] x [K, N] GEMM; broadcasting the weight to the batch made it a batched dot of small
            // matrices (and a copy of the weight per batch element)
            return b.reshape(b.dotGeneral(a, m, new long[0], new long[0], new long[] {a.rank() - 1}, new long[] {0}), resultShape);
        }
        long[] batch = TypePromotion.broadcastShapes(Arrays.copyOf(a.shape(), a.rank() - 2), Arrays.copyOf(m.shape(), m.rank() - 2));
        a = b.broadcastTo(a, concat(batch, a.shape()[a.rank() - 2], a.shape()[a.rank() - 1]));
        m = b.broadcastTo(m, concat(batch, m.shape()[m.rank() - 2], m.shape()[m.rank() - 1]));
        long[] batchDims = ReductionOps.identity(batch.length);
        HloValue product = b.dotGeneral(a, m, batchDims, batchDims, new long[] {batch.length + 1}, new long[] {batch.length});
        return b.reshape(product, resultShape);
    });

    private static long[] concat(long[] prefix, long... rest) {
        long[] all = Arrays.copyOf(prefix, prefix.length + rest.length);
        System.arraycopy(rest, 0, all, prefix.length, rest.length);
        return all;
    }

    static final AtenOp T = op("aten::t").meta((n, p) -> {
        TensorType in = n.input(0).type();
        if (in.rank() > 2) {
            throw new IllegalArgumentException("t needs a tensor of rank 2 or less, got " + in);
        }
        return List.of(in.rank() < 2 ? in : TensorType.of(in.dtype(), in.dim(1), in.dim(0)));
    }).lower((c, n, x) -> x.get(0).rank() < 2 ? x.get(0) : c.builder().transpose(x.get(0), 1, 0));

    private static long[] swap(int rank, int d0, int d1) {
        long[] permutation = ReductionOps.identity(rank);
        permutation[d0] = d1;
        permutation[d1] = d0;
        return permutation;
    }

    static final AtenOp TRANSPOSE = op("aten::transpose.int").meta((n, p) -> {
        TensorType in = n.input(0).type();
        long[] shape = in.shape();
        int d0 = Metas.dim(n.intAttr("dim0"), in.rank());
        int d1 = Metas.dim(n.intAttr("dim1"), in.rank());
        if (in.rank() > 0) {
            long tmp = shape[d0];
            shape[d0] = shape[d1];
            shape[d1] = tmp;
        }
        return List.of(TensorType.of(in.dtype(), shape));
    }).lower((c, n, x) -> x.get(0).rank() == 0 ? x.get(0) : c.builder().transpose(x.get(0),
            swap(x.get(0).rank(), Metas.dim(n.intAttr("dim0"), x.get(0).rank()), Metas.dim(n.intAttr("dim1"), x.get(0).rank()))));

    /** {@code linear(input, weight, bias=None)} is {@code input @ weight.t() + bias}. */
    static final AtenDecomposition LINEAR = decompose("aten::linear", (n, c) -> {
        Value transposed = c.emit("aten::t", List.of(n.input(1)), Map.of());
        Value product = c.emit("aten::matmul", List.of(n.input(0), transposed), Map.of());
        return List.of(n.inputs().size() > 2 ? c.emit("aten::add.Tensor", List.of(product, n.input(2)), Map.of()) : product);
    });
}
