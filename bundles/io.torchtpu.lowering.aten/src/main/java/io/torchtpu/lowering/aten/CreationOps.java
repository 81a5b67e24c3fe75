package io.torchtpu.lowering.aten;

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
import java.util.function.Function;

/**
 * Creation ops: constants of a shape (zeros, ones, full and their {@code _like} and {@code new_} forms), arange,
 * eye and scalar_tensor. Layout, device, pin_memory and memory_format attributes do not apply to XLA values and
 * are ignored; {@code empty} is zeros, since its contents are unspecified.
 */
final class CreationOps {
    private CreationOps() {
    }

    /** A constant of {@code type} holding a Scalar attribute's value, exact for 64-bit integers; floats cast to ints truncate. */
    static HloValue filled(FunctionBuilder b, TensorType type, Scalar value) {
        return value.kind() == Scalar.Kind.FLOAT || type.dtype().isFloatingPoint() ? b.constant(type, value.asDouble())
                : b.constant(type, value.asLong());
    }

    /** The dtype PyTorch infers for {@code full(size, value)} without a dtype: bool, int64, or the default float. */
    private static DType inferred(Scalar value) {
        return switch (value.kind()) {
            case BOOL -> DType.BOOL;
            case INT -> TypePromotion.DEFAULT_INT;
            case FLOAT -> TypePromotion.DEFAULT_FLOAT;
        };
    }

    private static long[] size(Node n) {
        long[] size = Metas.longs(n.intsAttr("size"));
        for (long d : size) {
            if (d < 0) {
                throw new IllegalArgumentException(n.op() + ": size " + n.intsAttr("size") + " has a negative dimension");
            }
        }
        return size;
    }

    /** A creation op: its output type and its fill value, both from the node. */
    private static AtenOp constant(Function<Node, TensorType> type, Function<Node, Scalar> value, String... ops) {
        return op(ops).meta((n, p) -> List.of(type.apply(n))).lower((c, n, x) -> filled(c.builder(), type.apply(n), value.apply(n)));
    }

    private static final Function<Node, Scalar> ZERO = n -> Scalar.of(0);
    private static final Function<Node, Scalar> ONE = n -> Scalar.of(1);
    private static final Function<Node, Scalar> FILL_VALUE = n -> n.scalarAttr("fill_value");

    /** From {@code size}, in the {@code dtype} attribute or the default float. */
    private static TensorType sized(Node n) {
        return TensorType.of(n.dtypeAttr("dtype").orElse(TypePromotion.DEFAULT_FLOAT), size(n));
    }

    /** Shaped and typed like input 0 unless {@code dtype} says otherwise. */
    private static TensorType like(Node n) {
        TensorType self = n.input(0).type();
        return TensorType.of(n.dtypeAttr("dtype").orElse(self.dtype()), self.shape());
    }

    /** From {@code size}, typed like input 0 unless {@code dtype} says otherwise. */
    private static TensorType sizedLike(Node n) {
        return TensorType.of(n.dtypeAttr("dtype").orElse(n.input(0).type().dtype()), size(n));
    }

    static final AtenOp ZEROS = constant(CreationOps::sized, ZERO, "aten::zeros", "aten::empty.memory_format", "aten::empty_strided");

    static final AtenOp ONES = constant(CreationOps::sized, ONE, "aten::ones");

    static final AtenOp FULL = constant(n -> TensorType.of(n.dtypeAttr("dtype").orElse(inferred(n.scalarAttr("fill_value"))), size(n)),
            FILL_VALUE, "aten::full");

    static final AtenOp ZEROS_LIKE = constant(CreationOps::like, ZERO, "aten::zeros_like", "aten::empty_like");

    static final AtenOp ONES_LIKE = constant(CreationOps::like, ONE, "aten::ones_like");

    static final AtenOp FULL_LIKE = constant(CreationOps::like, FILL_VALUE, "aten::full_like");

    static final AtenOp NEW_ZEROS = constant(CreationOps::sizedLike, ZERO, "aten::new_zeros", "aten::new_empty");

    static final AtenOp NEW_ONES = constant(CreationOps::sizedLike, ONE, "aten::new_ones");

    static final AtenOp NEW_FULL = constant(CreationOps::sizedLike, FILL_VALUE, "aten::new_full");

    /** {@code scalar_tensor(s, dtype=None)}: a 0-d tensor of the default float unless {@code dtype} says otherwise. */
    static final AtenOp SCALAR_TENSOR = constant(n -> TensorType.of(n.dtypeAttr("dtype").orElse(TypePromotion.DEFAULT_FLOAT)),
            n -> n.scalarAttr("s"), "aten::scalar_tensor");

    // ---- arange -----------------------------------------------------------------------------------

    /** {start, end, step} of any arange overload ({@code arange(end)}, {@code arange.start}, {@code arange.start_step}). */
    private static Scalar[] range(Node n) {
        Scalar start = n.scalarAttr("start", Scalar.of(0));
        Scalar step = n.scalarAttr("step", Scalar.of(1));
        Scalar end = n.scalarAttr("end");
        if (step.asDouble() == 0) {
            throw new IllegalArgumentException(n.op() + ": step must be nonzero");
        }
        if ((end.asDouble() - start.asDouble()) * Math.signum(step.asDouble()) < 0) {
            throw new IllegalArgumentException(n.op() + ": the range from " + start + " to " + end + " goes against step " + step);
        }
        return new Scalar[] {start, end, step};
    }

    /** Without a dtype: int64 when start, end and step are all integers, else the default float. */
    private static TensorType arangeType(Node n) {
        Scalar[] r = range(n);
        boolean integral = r[0].kind() != Scalar.Kind.FLOAT && r[1].kind() != Scalar.Kind.FLOAT && r[2].kind() != Scalar.Kind.FLOAT;
        DType dtype = n.dtypeAttr("dtype").orElse(integral ? TypePromotion.DEFAULT_INT : TypePromotion.DEFAULT_FLOAT);
        // PyTorch's length: ceil((end - start) / step) in double
        long length = (long) Math.ceil((r[1].asDouble() - r[0].asDouble()) / r[2].asDouble());
        return TensorType.of(dtype, length);
    }

    /** start + i * step, in int64 for integer results and in f64 (PyTorch's CPU accumulation type) for float ones. */
    static final AtenOp ARANGE = op("aten::arange", "aten::arange.start", "aten::arange.start_step")
            .meta((n, p) -> List.of(arangeType(n))).lower((c, n, x) -> {
                FunctionBuilder b = c.builder();
                TensorType type = arangeType(n);
                Scalar[] r = range(n);
                DType compute = type.dtype().isFloatingPoint() ? DType.F64 : DType.I64;
                TensorType computeType = TensorType.of(compute, type.shape());
                HloValue values = b.add(b.multiply(b.iota(computeType, 0), filled(b, computeType, r[2])), filled(b, computeType, r[0]));
                return b.convert(values, type.dtype());
            });

    /** {@code eye(n)} and {@code eye.m(n, m)}: ones where row equals column. */
    private static TensorType eyeType(Node n) {
        long rows = n.intAttr("n");
        long columns = n.intAttr("m", rows);
        if (rows < 0 || columns < 0) {
            throw new IllegalArgumentException(n.op() + ": n and m must be non-negative, got " + rows + " and " + columns);
        }
        return TensorType.of(n.dtypeAttr("dtype").orElse(TypePromotion.DEFAULT_FLOAT), rows, columns);
    }

    static final AtenOp EYE = op("aten::eye", "aten::eye.m").meta((n, p) -> List.of(eyeType(n))).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        TensorType type = eyeType(n);
        TensorType positions = TensorType.of(DType.I64, type.shape());
        return b.convert(b.compare(Direction.EQ, b.iota(positions, 0), b.iota(positions, 1)), type.dtype());
    });
}
