package io.torchtpu.lowering.aten;

import static io.torchtpu.api.lowering.Promotion.ALWAYS_BOOL;
import static io.torchtpu.api.lowering.Promotion.DEFAULT;
import static io.torchtpu.api.lowering.Promotion.INT_TO_FLOAT;
import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import io.torchtpu.stablehlo.lowering.LoweringContext;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Elementwise arithmetic, math functions, comparisons and logical ops. Operands arrive promoted and
 * broadcast (see each op's rule), so most lowerings are one StableHLO op.
 */
final class ElementwiseOps {
    private ElementwiseOps() {
    }

    /** {@code other * alpha}, skipped when alpha is 1 (add and sub take an alpha that is not part of promotion). */
    private static HloValue scaled(LoweringContext c, Node n, HloValue other) {
        Scalar alpha = n.scalarAttr("alpha", Scalar.of(1));
        return alpha.asDouble() == 1 ? other : c.builder().multiply(other, c.fill(other, alpha));
    }

    static final AtenOp ADD = op("aten::add.Tensor", "aten::add.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> c.builder().add(x.get(0), scaled(c, n, x.get(1))));

    static final AtenOp SUB = op("aten::sub.Tensor", "aten::sub.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> c.builder().subtract(x.get(0), scaled(c, n, x.get(1))));

    static final AtenOp RSUB = op("aten::rsub.Scalar", "aten::rsub.Tensor").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> c.builder().subtract(x.get(1), scaled(c, n, x.get(0))));

    static final AtenOp MUL = op("aten::mul.Tensor", "aten::mul.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> x.get(0).dtype() == DType.BOOL ? c.builder().and(x.get(0), x.get(1)) : c.builder().multiply(x.get(0), x.get(1)));

    static final AtenOp DIV = op("aten::div.Tensor", "aten::div.Scalar").elementwise(INT_TO_FLOAT, "other")
            .lower((c, n, x) -> c.builder().divide(x.get(0), x.get(1)));

    /** {@code div} with {@code rounding_mode} "trunc" or "floor"; integers divide exactly, as PyTorch does. */
    static final AtenOp DIV_MODE = op("aten::div.Tensor_mode", "aten::div.Scalar_mode").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> roundedDivide(c.builder(), x.get(0), x.get(1), n.stringAttr("rounding_mode", "")));

    private static HloValue roundedDivide(FunctionBuilder b, HloValue a, HloValue d, String mode) {
        if (a.dtype().isFloatingPoint()) {
            HloValue q = b.divide(a, d);
            return switch (mode) {
                case "floor" -> b.floor(q);
                case "trunc" -> trunc(b, q);
                default -> q;
            };
        }
        HloValue q = b.divide(a, d); // integer division truncates
        if (!mode.equals("floor")) {
            return q;
        }
        HloValue zero = b.constant(a.type(), 0L);
        HloValue inexact = b.compare(Direction.NE, b.remainder(a, d), zero);
        HloValue signsDiffer = b.compare(Direction.NE, b.compare(Direction.LT, a, zero), b.compare(Direction.LT, d, zero));
        return b.select(b.and(inexact, signsDiffer), b.subtract(q, b.constant(a.type(), 1L)), q);
    }

    private static HloValue trunc(FunctionBuilder b, HloValue x) {
        if (!x.dtype().isFloatingPoint()) {
            return x;
        }
        return b.select(b.compare(Direction.LT, x, b.constant(x.type(), 0.0)), b.ceil(x), b.floor(x));
    }

    /** Python's modulo: the result takes the divisor's sign. */
    static final AtenOp REMAINDER = op("aten::remainder.Tensor", "aten::remainder.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> {
                FunctionBuilder b = c.builder();
                HloValue r = b.remainder(x.get(0), x.get(1));
                HloValue zero = c.fill(r, 0);
                HloValue fix = b.and(b.compare(Direction.NE, r, zero),
                        b.compare(Direction.NE, b.compare(Direction.LT, r, zero), b.compare(Direction.LT, x.get(1), zero)));
                return b.select(fix, b.add(r, x.get(1)), r);
            });

    static final AtenOp FMOD = op("aten::fmod.Tensor", "aten::fmod.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> c.builder().remainder(x.get(0), x.get(1)));

    static final AtenOp POW = op("aten::pow.Tensor_Tensor", "aten::pow.Tensor_Scalar", "aten::pow.Scalar")
            .elementwise(DEFAULT, "exponent", "self")
            .lower((c, n, x) -> n.op().equals("aten::pow.Scalar") ? c.builder().power(x.get(1), x.get(0)) : c.builder().power(x.get(0), x.get(1)));

    /** NaN on either side gives NaN, as in PyTorch; XLA's CPU maximum returns the other operand. */
    static final AtenOp MAXIMUM = op("aten::maximum").elementwise(DEFAULT)
            .lower((c, n, x) -> ReductionOps.nanPropagating(c.builder(), c.builder()::maximum).apply(x.get(0), x.get(1)));

    static final AtenOp MINIMUM = op("aten::minimum").elementwise(DEFAULT)
            .lower((c, n, x) -> ReductionOps.nanPropagating(c.builder(), c.builder()::minimum).apply(x.get(0), x.get(1)));

    static final AtenOp ATAN2 = op("aten::atan2").elementwise(INT_TO_FLOAT).lower((c, n, x) -> c.builder().atan2(x.get(0), x.get(1)));

    /** {@code clamp(self, min=None, max=None)}: the present bounds follow self among the operands. */
    static final AtenOp CLAMP = op("aten::clamp").elementwise(DEFAULT, "min", "max")
            .lower((c, n, x) -> {
                HloValue result = x.get(0);
                if (n.has("min")) {
                    result = c.builder().maximum(result, x.get(1));
                }
                return n.has("max") ? c.builder().minimum(result, x.get(x.size() - 1)) : result;
            });

    static final AtenOp WHERE = op("aten::where.self").rule(io.torchtpu.api.lowering.OperandRule.elementwise(DEFAULT).keepingDtypeOf(0))
            .meta((n, p) -> List.of(io.torchtpu.api.TensorType.of(p.computeType(), p.operandTypes().get(0).shape())))
            .lower((c, n, x) -> c.builder().select(c.builder().convert(x.get(0), DType.BOOL), x.get(1), x.get(2)));

    // ---- unary ------------------------------------------------------------------------------------

    /** A float function: integer and bool inputs become the default float first; f16 and bf16 compute in f32. */
    private static AtenOp floatUnary(String opName, BiFunction<FunctionBuilder, HloValue, HloValue> function) {
        return op(opName).elementwise(INT_TO_FLOAT).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            return b.convert(function.apply(b, Metas.upcast(b, x.get(0))), x.get(0).dtype());
        });
    }

    static final AtenOp EXP = floatUnary("aten::exp", FunctionBuilder::exponential);
    static final AtenOp EXPM1 = floatUnary("aten::expm1", FunctionBuilder::exponentialMinusOne);
    static final AtenOp LOG = floatUnary("aten::log", FunctionBuilder::log);
    static final AtenOp LOG1P = floatUnary("aten::log1p", FunctionBuilder::logPlusOne);
    static final AtenOp LOG2 = floatUnary("aten::log2", (b, x) -> b.divide(b.log(x), b.constant(x.type(), Math.log(2))));
    static final AtenOp LOG10 = floatUnary("aten::log10", (b, x) -> b.divide(b.log(x), b.constant(x.type(), Math.log(10))));
    static final AtenOp SQRT = floatUnary("aten::sqrt", FunctionBuilder::sqrt);
    static final AtenOp RSQRT = floatUnary("aten::rsqrt", FunctionBuilder::rsqrt);
    static final AtenOp SIN = floatUnary("aten::sin", FunctionBuilder::sine);
    static final AtenOp COS = floatUnary("aten::cos", FunctionBuilder::cosine);
    static final AtenOp TAN = floatUnary("aten::tan", FunctionBuilder::tan);
    static final AtenOp ERF = floatUnary("aten::erf", FunctionBuilder::erf);
    static final AtenOp RECIPROCAL = floatUnary("aten::reciprocal", (b, x) -> b.divide(b.constant(x.type(), 1.0), x));
    static final AtenOp SINH = floatUnary("aten::sinh", (b, x) -> b.chlo("sinh", x));
    static final AtenOp COSH = floatUnary("aten::cosh", (b, x) -> b.chlo("cosh", x));
    static final AtenOp ASIN = floatUnary("aten::asin", (b, x) -> b.chlo("asin", x));
    static final AtenOp ACOS = floatUnary("aten::acos", (b, x) -> b.chlo("acos", x));
    static final AtenOp ATAN = floatUnary("aten::atan", (b, x) -> b.chlo("atan", x));
    static final AtenOp ASINH = floatUnary("aten::asinh", (b, x) -> b.chlo("asinh", x));
    static final AtenOp ACOSH = floatUnary("aten::acosh", (b, x) -> b.chlo("acosh", x));
    static final AtenOp ATANH = floatUnary("aten::atanh", (b, x) -> b.chlo("atanh", x));

    static final AtenOp FLOOR = op("aten::floor").elementwise(DEFAULT)
            .lower((c, n, x) -> x.get(0).dtype().isFloatingPoint() ? c.builder().floor(x.get(0)) : x.get(0));
    static final AtenOp CEIL = op("aten::ceil").elementwise(DEFAULT)
            .lower((c, n, x) -> x.get(0).dtype().isFloatingPoint() ? c.builder().ceil(x.get(0)) : x.get(0));
    static final AtenOp ROUND = op("aten::round").elementwise(DEFAULT)
            .lower((c, n, x) -> x.get(0).dtype().isFloatingPoint() ? c.builder().roundNearestEven(x.get(0)) : x.get(0));
    static final AtenOp TRUNC = op("aten::trunc").elementwise(DEFAULT).lower((c, n, x) -> trunc(c.builder(), x.get(0)));

    static final AtenOp NEG = op("aten::neg").elementwise(DEFAULT).lower((c, n, x) -> c.builder().negate(x.get(0)));
    static final AtenOp ABS = op("aten::abs").elementwise(DEFAULT)
            .lower((c, n, x) -> x.get(0).dtype() == DType.BOOL || x.get(0).dtype() == DType.U8 ? x.get(0) : c.builder().abs(x.get(0)));
    /** stablehlo.sign takes no unsigned operand (uint8's sign is x != 0) and keeps NaN, where PyTorch's sign(NaN) is 0. */
    static final AtenOp SIGN = op("aten::sign").elementwise(DEFAULT).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue in = x.get(0);
        return switch (in.dtype()) {
            case BOOL -> in;
            case U8 -> b.convert(b.convert(in, DType.BOOL), DType.U8);
            case F64, F32, F16, BF16 -> b.select(b.compare(Direction.NE, in, in), c.fill(in, 0), b.sign(in));
            default -> b.sign(in);
        };
    });

    static final AtenOp ISNAN = op("aten::isnan").elementwise(ALWAYS_BOOL)
            .lower((c, n, x) -> x.get(0).dtype().isFloatingPoint() ? c.builder().compare(Direction.NE, x.get(0), x.get(0))
                    : c.fill(x.get(0), DType.BOOL, 0));
    static final AtenOp ISINF = op("aten::isinf").elementwise(ALWAYS_BOOL)
            .lower((c, n, x) -> x.get(0).dtype().isFloatingPoint()
                    ? c.builder().compare(Direction.EQ, c.builder().abs(x.get(0)), c.fill(x.get(0), Double.POSITIVE_INFINITY))
                    : c.fill(x.get(0), DType.BOOL, 0));

    // ---- comparisons and logic --------------------------------------------------------------------

    private static AtenOp comparison(String name, Direction direction) {
        return op("aten::" + name + ".Tensor", "aten::" + name + ".Scalar").elementwise(ALWAYS_BOOL, "other")
                .lower((c, n, x) -> c.builder().compare(direction, x.get(0), x.get(1)));
    }

    static final AtenOp EQ = comparison("eq", Direction.EQ);
    static final AtenOp NE = comparison("ne", Direction.NE);
    static final AtenOp LT = comparison("lt", Direction.LT);
    static final AtenOp LE = comparison("le", Direction.LE);
    static final AtenOp GT = comparison("gt", Direction.GT);
    static final AtenOp GE = comparison("ge", Direction.GE);

    /** Logical ops read any dtype as bool ({@code x != 0}) and give bool. */
    private static AtenOp logical(String opName, BiFunction<FunctionBuilder, List<HloValue>, HloValue> function) {
        return op(opName).elementwise(ALWAYS_BOOL).lower((c, n, x) ->
                function.apply(c.builder(), x.stream().map(v -> c.builder().convert(v, DType.BOOL)).toList()));
    }

    static final AtenOp LOGICAL_AND = logical("aten::logical_and", (b, x) -> b.and(x.get(0), x.get(1)));
    static final AtenOp LOGICAL_OR = logical("aten::logical_or", (b, x) -> b.or(x.get(0), x.get(1)));
    static final AtenOp LOGICAL_XOR = logical("aten::logical_xor", (b, x) -> b.xor(x.get(0), x.get(1)));
    static final AtenOp LOGICAL_NOT = logical("aten::logical_not", (b, x) -> b.not(x.get(0)));

    static final AtenOp BITWISE_AND = op("aten::bitwise_and.Tensor", "aten::bitwise_and.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> c.builder().and(x.get(0), x.get(1)));
    static final AtenOp BITWISE_OR = op("aten::bitwise_or.Tensor", "aten::bitwise_or.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> c.builder().or(x.get(0), x.get(1)));
    static final AtenOp BITWISE_XOR = op("aten::bitwise_xor.Tensor", "aten::bitwise_xor.Scalar").elementwise(DEFAULT, "other")
            .lower((c, n, x) -> c.builder().xor(x.get(0), x.get(1)));
    static final AtenOp BITWISE_NOT = op("aten::bitwise_not").elementwise(DEFAULT).lower((c, n, x) -> c.builder().not(x.get(0)));
}
