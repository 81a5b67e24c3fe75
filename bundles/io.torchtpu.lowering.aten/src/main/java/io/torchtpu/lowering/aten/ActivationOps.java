package io.torchtpu.lowering.aten;

import static io.torchtpu.api.lowering.Promotion.DEFAULT;
import static io.torchtpu.api.lowering.Promotion.INT_TO_FLOAT;
import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import java.util.List;

/** Activations and softmax. f16 and bf16 inputs compute in f32 and round once at the end, as PyTorch's kernels do. */
final class ActivationOps {
    private ActivationOps() {
    }

    /** A float activation of one input; {@code function} gets the builder, the node and the (upcast) input. */
    private static AtenOp activation(String opName, Activation function) {
        return op(opName).elementwise(INT_TO_FLOAT).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            return b.convert(function.apply(b, n, Metas.upcast(b, x.get(0))), x.get(0).dtype());
        });
    }

    @FunctionalInterface
    private interface Activation {
        HloValue apply(FunctionBuilder b, Node n, HloValue x);
    }

    private static HloValue k(FunctionBuilder b, HloValue like, double value) {
        return b.constant(like.type(), value);
    }

    static final AtenOp RELU = op("aten::relu").elementwise(DEFAULT)
            .lower((c, n, x) -> c.builder().maximum(x.get(0), c.fill(x.get(0), 0)));

    static final AtenOp SIGMOID = activation("aten::sigmoid", (b, n, x) -> b.logistic(x));

    static final AtenOp TANH = activation("aten::tanh", (b, n, x) -> b.tanh(x));

    static final AtenOp SILU = activation("aten::silu", (b, n, x) -> b.multiply(x, b.logistic(x)));

    /** {@code approximate="none"}: x/2 (1 + erf(x/sqrt 2)); {@code "tanh"}: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static final AtenOp GELU = activation("aten::gelu", (b, n, x) -> {
        HloValue inner = n.stringAttr("approximate", "none").equals("tanh")
                ? b.tanh(b.multiply(k(b, x, Math.sqrt(2 / Math.PI)),
                        b.add(x, b.multiply(k(b, x, 0.044715), b.multiply(x, b.multiply(x, x))))))
                : b.erf(b.multiply(x, k(b, x, 1 / Math.sqrt(2))));
        return b.multiply(b.multiply(x, k(b, x, 0.5)), b.add(k(b, x, 1), inner));
    });

    static final AtenOp LEAKY_RELU = activation("aten::leaky_relu", (b, n, x) -> b.select(
            b.compare(Direction.GT, x, k(b, x, 0)), x, b.multiply(x, k(b, x, n.floatAttr("negative_slope", 0.01)))));

    static final AtenOp HARDTANH = activation("aten::hardtanh", (b, n, x) ->
            b.clamp(b.scalar(x.dtype(), n.floatAttr("min_val", -1)), x, b.scalar(x.dtype(), n.floatAttr("max_val", 1))));

    /** PyTorch's elu: x > 0 ? scale x : alpha scale (exp(input_scale x) - 1). */
    static final AtenOp ELU = activation("aten::elu", (b, n, x) -> {
        double alpha = n.floatAttr("alpha", 1);
        double scale = n.floatAttr("scale", 1);
        double inputScale = n.floatAttr("input_scale", 1);
        HloValue negative = b.multiply(b.exponentialMinusOne(b.multiply(x, k(b, x, inputScale))), k(b, x, alpha * scale));
        return b.select(b.compare(Direction.GT, x, k(b, x, 0)), b.multiply(x, k(b, x, scale)), negative);
    });

    static final AtenOp HARDSIGMOID = activation("aten::hardsigmoid", (b, n, x) -> hardsigmoid(b, x));

    static final AtenOp HARDSWISH = activation("aten::hardswish", (b, n, x) -> b.multiply(x, hardsigmoid(b, x)));

    private static HloValue hardsigmoid(FunctionBuilder b, HloValue x) {
        HloValue shifted = b.add(b.divide(x, k(b, x, 6)), k(b, x, 0.5));
        return b.clamp(b.scalar(x.dtype(), 0), shifted, b.scalar(x.dtype(), 1));
    }

    // ---- softmax ----------------------------------------------------------------------------------

    /** Output dtype of softmax: the {@code dtype} attribute, f32 for {@code _softmax(half_to_float=True)}, else the input's. */
    private static DType softmaxDtype(Node n) {
        DType input = n.input(0).type().dtype();
        if (n.boolAttr("half_to_float", false)) {
            return DType.F32;
        }
        return n.dtypeAttr("dtype").orElse(input);
    }

    private static AtenOp softmax(boolean log, String... ops) {
        return op(ops)
                .meta((n, p) -> {
                    Metas.dim(n.intAttr("dim"), n.input(0).type().rank());
                    return List.of(Metas.withDtype(n.input(0).type(), softmaxDtype(n)));
                })
                .lower((c, n, x) -> {
                    FunctionBuilder b = c.builder();
                    DType out = softmaxDtype(n);
                    HloValue in = Metas.upcast(b, b.convert(x.get(0), out));
                    if (in.rank() == 0) {
                        return b.convert(log ? b.subtract(in, in) : b.divide(in, in), out);
                    }
                    long dim = Metas.dim(n.intAttr("dim"), in.rank());
                    HloValue max = ReductionOps.reduceKeep(b, in, new long[] {dim}, ReductionOps.lowest(b, in.dtype()), b::maximum);
                    HloValue shifted = b.subtract(in, max);
                    HloValue sum = ReductionOps.reduceKeep(b, b.exponential(shifted), new long[] {dim}, b.scalar(in.dtype(), 0), b::add);
                    HloValue result = log ? b.subtract(shifted, b.log(sum)) : b.divide(b.exponential(shifted), sum);
                    return b.convert(result, out);
                });
    }

    static final AtenOp SOFTMAX = softmax(false, "aten::_softmax", "aten::softmax.int");

    static final AtenOp LOG_SOFTMAX = softmax(true, "aten::_log_softmax", "aten::log_softmax.int");

}
