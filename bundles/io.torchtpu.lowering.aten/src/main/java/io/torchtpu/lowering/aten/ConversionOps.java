package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenDecomposition.decompose;
import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.TypePromotion;
import java.util.Arrays;
import java.util.List;

/**
 * Dtype conversions and the ops that change nothing in a value program: copies, in-place detaches and the
 * assertions torch.export leaves in a graph (checked here, when the graph is lowered, and then
 * dropped: they have no outputs). Also the Python-operator spellings of the bitwise ops ({@code __and__}).
 * Layout, device, non_blocking, copy and memory_format attributes have no meaning for XLA values and are ignored.
 */
final class ConversionOps {
    private ConversionOps() {
    }

    /** The {@code dtype} attribute, or the input's own dtype when it is absent (None). */
    private static DType targetDtype(Node n) {
        return n.dtypeAttr("dtype").orElse(n.input(0).type().dtype());
    }

    /** {@code to.dtype}, {@code to.dtype_layout} and {@code to.device}: a conversion to {@code dtype}, if given. */
    static final AtenOp TO_DTYPE = op("aten::to.dtype", "aten::to.dtype_layout", "aten::to.device")
            .meta((n, p) -> List.of(Metas.withDtype(n.input(0).type(), targetDtype(n))))
            .lower((c, n, x) -> c.builder().convert(x.get(0), targetDtype(n)));

    /** {@code to.other(self, other)} and {@code type_as(self, other)}: self converted to other's dtype. */
    static final AtenOp TO_OTHER = op("aten::to.other", "aten::type_as")
            .meta((n, p) -> List.of(Metas.withDtype(n.input(0).type(), n.input(1).type().dtype())))
            .lower((c, n, x) -> c.builder().convert(x.get(0), x.get(1).dtype()));

    /** {@code copy(self, src)}: src converted to self's dtype and broadcast to self's shape. */
    static final AtenOp COPY = op("aten::copy").meta((n, p) -> {
        TensorType self = n.input(0).type();
        TensorType src = n.input(1).type();
        if (!Arrays.equals(TypePromotion.broadcastShapes(self.shape(), src.shape()), self.shape())) {
            throw new IllegalArgumentException("copy: src " + src + " does not broadcast to self " + self);
        }
        return List.of(self);
    }).lower((c, n, x) -> c.builder().broadcastTo(c.builder().convert(x.get(1), x.get(0).dtype()), x.get(0).shape()));

    /** An in-place detach is the value itself. */
    static final AtenOp DETACH_ = op("aten::detach_").meta(Metas.SAME_AS_INPUT).lower((c, n, x) -> x.get(0));

    /**
     * {@code _assert_tensor_metadata(a, size=None, stride=None, dtype=None, ...)}: checked against the static type now;
     * nothing is emitted. Stride, device and layout are not checked: XLA values have none.
     */
    static final AtenOp ASSERT_TENSOR_METADATA = op("aten::_assert_tensor_metadata").meta((n, p) -> {
        TensorType a = n.input(0).type();
        n.dtypeAttr("dtype").ifPresent(dtype -> {
            if (dtype != a.dtype()) {
                throw new IllegalArgumentException("_assert_tensor_metadata: the tensor is " + a + ", the graph asserts dtype " + dtype.torchName());
            }
        });
        if (n.has("size") && !Arrays.equals(Metas.longs(n.intsAttr("size")), a.shape())) {
            throw new IllegalArgumentException("_assert_tensor_metadata: the tensor is " + a + ", the graph asserts size " + n.intsAttr("size"));
        }
        return List.of();
    }).lowerAll((c, n, x) -> List.of());

    /**
     * {@code _assert_scalar(self, assert_msg)} and {@code _assert_async}: a tracer that knows the condition gives it as
     * the bool attribute {@code self}; false fails the lowering with the message. Without it nothing is checked.
     */
    static final AtenOp ASSERT_SCALAR = op("aten::_assert_scalar", "aten::_assert_async.msg", "aten::sym_constrain_range_for_size")
            .meta((n, p) -> {
                if (n.has("self") && !n.scalarAttr("self").asBoolean()) {
                    throw new IllegalArgumentException(n.op() + " fails: " + n.stringAttr("assert_msg", n.stringAttr("msg", "(no message)")));
                }
                return List.of();
            }).lowerAll((c, n, x) -> List.of());

    // ---- Python operator spellings ------------------------------------------------------------------

    private static AtenDecomposition alias(String op, String target) {
        return decompose(op, (n, c) -> List.of(c.emit(target, n.inputs(), n.attributes())));
    }

    static final AtenDecomposition AND_TENSOR = alias("aten::__and__.Tensor", "aten::bitwise_and.Tensor");
    static final AtenDecomposition AND_SCALAR = alias("aten::__and__.Scalar", "aten::bitwise_and.Scalar");
    static final AtenDecomposition OR_TENSOR = alias("aten::__or__.Tensor", "aten::bitwise_or.Tensor");
    static final AtenDecomposition OR_SCALAR = alias("aten::__or__.Scalar", "aten::bitwise_or.Scalar");
    static final AtenDecomposition XOR_TENSOR = alias("aten::__xor__.Tensor", "aten::bitwise_xor.Tensor");
    static final AtenDecomposition XOR_SCALAR = alias("aten::__xor__.Scalar", "aten::bitwise_xor.Scalar");
}
