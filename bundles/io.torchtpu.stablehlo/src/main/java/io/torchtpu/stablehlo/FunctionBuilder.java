package io.torchtpu.stablehlo;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Builds one function: every method emits one StableHLO op in MLIR's generic form, after checking its
 * operands and inferring its result type. Values are named {@code %0, %1, ...} in emission order, so the same
 * calls give the same text. Ops with regions ({@link #reduce}, {@link #sort}, {@link #scatter}) take a
 * {@link Body} that emits the region's ops on this same builder. A {@link #composite} adds its decomposition as a
 * private function of the same module, written by a {@link Body} on that function's own builder.
 */
public final class FunctionBuilder {
    private static final Pattern BARE_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$.]*");
    private static final Pattern COMPOSITE_NAME = Pattern.compile("[A-Za-z0-9_$.\\-]+");

    private final ModuleBuilder module;
    private final String name;
    private final boolean isPublic;
    private final List<HloValue> arguments = new ArrayList<>();
    /** Text of the innermost region being written; the function body is the outermost. */
    private final List<StringBuilder> blocks = new ArrayList<>();
    private List<HloValue> results;
    private int nextValue;

    FunctionBuilder(ModuleBuilder module, String name, boolean isPublic, List<TensorType> argumentTypes) {
        this.module = module;
        this.name = name;
        this.isPublic = isPublic;
        for (int i = 0; i < argumentTypes.size(); i++) {
            arguments.add(new HloValue("%arg" + i, argumentTypes.get(i)));
        }
        blocks.add(new StringBuilder());
    }

    /** A region body: gets its block arguments (scalars, as {@code tensor<dtype>}) and returns what the region yields. */
    @FunctionalInterface
    public interface Body {
        List<HloValue> emit(FunctionBuilder builder, List<HloValue> blockArguments);
    }

    public List<HloValue> arguments() {
        return List.copyOf(arguments);
    }

    public HloValue argument(int index) {
        return arguments.get(index);
    }

    /** The function's symbol, without the {@code @}. */
    public String name() {
        return name;
    }

    /** Ends the function with {@code return}. */
    public void ret(List<HloValue> values) {
        if (results != null) {
            throw new IllegalStateException("function " + name + " already returns");
        }
        this.results = List.copyOf(values);
    }

    String text() {
        if (results == null) {
            throw new IllegalStateException("function " + name + " has no return yet");
        }
        StringJoiner parameters = new StringJoiner(", ");
        arguments.forEach(a -> parameters.add(a.name() + ": " + a.type()));
        StringJoiner resultTypes = new StringJoiner(", ");
        results.forEach(r -> resultTypes.add(r.type().toString()));
        StringJoiner returned = new StringJoiner(", ");
        results.forEach(r -> returned.add(r.name()));
        StringBuilder text = new StringBuilder("  func.func ").append(isPublic ? "public" : "private").append(" @").append(name).append('(').append(parameters)
                .append(") -> (").append(resultTypes).append(") {\n");
        text.append(blocks.get(0));
        text.append("    return ").append(returned).append(results.isEmpty() ? "" : " : " + resultTypes).append('\n');
        return text.append("  }\n").toString();
    }

    // ---- emission -------------------------------------------------------------------------------

    private String indent() {
        return "    " + "  ".repeat(blocks.size() - 1);
    }

    private String newName() {
        return "%" + nextValue++;
    }

    /** Emits {@code "stablehlo.<op>"(operands) ({regions}) {attributes} : (operand types) -> result} with one result. */
    private HloValue op(String op, List<HloValue> operands, String attributes, TensorType result) {
        return ops(op, operands, "", attributes, List.of(result)).get(0);
    }

    private List<HloValue> ops(String op, List<HloValue> operands, String regions, String attributes, List<TensorType> resultTypes) {
        String result = newName();
        StringJoiner names = new StringJoiner(", ");
        operands.forEach(operand -> names.add(operand.name()));
        StringBuilder line = blocks.get(blocks.size() - 1);
        line.append(indent()).append(result).append(resultTypes.size() > 1 ? ":" + resultTypes.size() : "")
                .append(" = \"stablehlo.").append(op).append("\"(").append(names).append(')');
        if (!regions.isEmpty()) {
            line.append(' ').append(regions);
        }
        if (!attributes.isEmpty()) {
            line.append(" {").append(attributes).append('}');
        }
        line.append(functionalType(operands, resultTypes)).append('\n');
        return results(result, resultTypes);
    }

    /** {@code  : (operand types) -> result type(s)}, with a leading space. */
    private static String functionalType(List<HloValue> operands, List<TensorType> resultTypes) {
        StringJoiner types = new StringJoiner(", ");
        operands.forEach(operand -> types.add(operand.type().toString()));
        StringJoiner resultText = new StringJoiner(", ");
        resultTypes.forEach(t -> resultText.add(t.toString()));
        return " : (" + types + ") -> " + (resultTypes.size() == 1 ? resultText.toString() : "(" + resultText + ")");
    }

    /** The values an op named {@code result} defines: {@code result} itself, or {@code result#0, result#1, ...}. */
    private static List<HloValue> results(String result, List<TensorType> resultTypes) {
        if (resultTypes.size() == 1) {
            return List.of(new HloValue(result, resultTypes.get(0)));
        }
        List<HloValue> values = new ArrayList<>();
        for (int i = 0; i < resultTypes.size(); i++) {
            values.add(new HloValue(result + "#" + i, resultTypes.get(i)));
        }
        return values;
    }

    /** Writes a region {@code ({ ^bb0(args): ... "stablehlo.return"(...) })} whose block arguments have the given types. */
    private String region(List<TensorType> argumentTypes, Body body) {
        List<HloValue> blockArguments = new ArrayList<>();
        for (TensorType type : argumentTypes) {
            blockArguments.add(new HloValue(newName(), type));
        }
        StringBuilder block = new StringBuilder();
        blocks.add(block);
        List<HloValue> yielded;
        try {
            yielded = body.emit(this, blockArguments);
            StringJoiner names = new StringJoiner(", ");
            StringJoiner types = new StringJoiner(", ");
            yielded.forEach(v -> {
                names.add(v.name());
                types.add(v.type().toString());
            });
            block.append(indent()).append("\"stablehlo.return\"(").append(names).append(") : (").append(types).append(") -> ()\n");
        } finally {
            blocks.remove(blocks.size() - 1);
        }
        StringJoiner parameters = new StringJoiner(", ");
        blockArguments.forEach(a -> parameters.add(a.name() + ": " + a.type()));
        return "({\n" + indent() + "^bb0(" + parameters + "):\n" + block + indent() + "})";
    }

    // ---- attribute spelling -----------------------------------------------------------------------

    static String i64Array(long... values) {
        return values.length == 0 ? "array<i64>" : "array<i64: " + join(values) + ">";
    }

    static String list(long... values) {
        return "[" + join(values) + "]";
    }

    private static String join(long... values) {
        StringJoiner text = new StringJoiner(", ");
        for (long v : values) {
            text.add(Long.toString(v));
        }
        return text.toString();
    }

    private static String padding(long[] low, long[] high) {
        StringJoiner rows = new StringJoiner(", ", "dense<[", "]> : tensor<" + low.length + "x2xi64>");
        for (int i = 0; i < low.length; i++) {
            rows.add("[" + low[i] + ", " + high[i] + "]");
        }
        return low.length == 0 ? "dense<> : tensor<0x2xi64>" : rows.toString();
    }

    // ---- checks -----------------------------------------------------------------------------------

    private static HloTypeException error(String op, String message) {
        return new HloTypeException("stablehlo." + op + ": " + message);
    }

    private static void sameType(String op, HloValue... operands) {
        for (HloValue operand : operands) {
            if (!operand.type().equals(operands[0].type())) {
                throw error(op, "operands must have one type, got " + Arrays.toString(operands));
            }
        }
    }

    private static int axis(String op, long axis, int rank) {
        if (axis < 0 || axis >= rank) {
            throw error(op, "dimension " + axis + " is out of range for rank " + rank);
        }
        return (int) axis;
    }

    // ---- elementwise ------------------------------------------------------------------------------

    private HloValue binary(String op, HloValue lhs, HloValue rhs) {
        sameType(op, lhs, rhs);
        return op(op, List.of(lhs, rhs), "", lhs.type());
    }

    private HloValue unary(String op, HloValue operand) {
        return op(op, List.of(operand), "", operand.type());
    }

    private static void floating(String op, HloValue operand) {
        if (!operand.dtype().isFloatingPoint()) {
            throw error(op, "needs a floating point operand, got " + operand.type());
        }
    }

    public HloValue add(HloValue lhs, HloValue rhs) {
        return binary("add", lhs, rhs);
    }

    public HloValue subtract(HloValue lhs, HloValue rhs) {
        return binary("subtract", lhs, rhs);
    }

    public HloValue multiply(HloValue lhs, HloValue rhs) {
        return binary("multiply", lhs, rhs);
    }

    public HloValue divide(HloValue lhs, HloValue rhs) {
        return binary("divide", lhs, rhs);
    }

    /** C-style remainder: the sign follows the dividend. */
    public HloValue remainder(HloValue lhs, HloValue rhs) {
        return binary("remainder", lhs, rhs);
    }

    public HloValue power(HloValue lhs, HloValue rhs) {
        return binary("power", lhs, rhs);
    }

    /** Propagates NaN, like PyTorch's maximum. */
    public HloValue maximum(HloValue lhs, HloValue rhs) {
        return binary("maximum", lhs, rhs);
    }

    public HloValue minimum(HloValue lhs, HloValue rhs) {
        return binary("minimum", lhs, rhs);
    }

    public HloValue atan2(HloValue lhs, HloValue rhs) {
        floating("atan2", lhs);
        return binary("atan2", lhs, rhs);
    }

    /** Logical on bool, bitwise on integers. */
    public HloValue and(HloValue lhs, HloValue rhs) {
        return binary("and", lhs, rhs);
    }

    public HloValue or(HloValue lhs, HloValue rhs) {
        return binary("or", lhs, rhs);
    }

    public HloValue xor(HloValue lhs, HloValue rhs) {
        return binary("xor", lhs, rhs);
    }

    public HloValue shiftLeft(HloValue lhs, HloValue rhs) {
        return binary("shift_left", lhs, rhs);
    }

    public HloValue shiftRightArithmetic(HloValue lhs, HloValue rhs) {
        return binary("shift_right_arithmetic", lhs, rhs);
    }

    public HloValue shiftRightLogical(HloValue lhs, HloValue rhs) {
        return binary("shift_right_logical", lhs, rhs);
    }

    public HloValue not(HloValue operand) {
        return unary("not", operand);
    }

    public HloValue negate(HloValue operand) {
        return unary("negate", operand);
    }

    public HloValue abs(HloValue operand) {
        return unary("abs", operand);
    }

    public HloValue sign(HloValue operand) {
        return unary("sign", operand);
    }

    public HloValue exponential(HloValue operand) {
        floating("exponential", operand);
        return unary("exponential", operand);
    }

    public HloValue exponentialMinusOne(HloValue operand) {
        floating("exponential_minus_one", operand);
        return unary("exponential_minus_one", operand);
    }

    public HloValue log(HloValue operand) {
        floating("log", operand);
        return unary("log", operand);
    }

    public HloValue logPlusOne(HloValue operand) {
        floating("log_plus_one", operand);
        return unary("log_plus_one", operand);
    }

    public HloValue sqrt(HloValue operand) {
        floating("sqrt", operand);
        return unary("sqrt", operand);
    }

    public HloValue rsqrt(HloValue operand) {
        floating("rsqrt", operand);
        return unary("rsqrt", operand);
    }

    public HloValue cbrt(HloValue operand) {
        floating("cbrt", operand);
        return unary("cbrt", operand);
    }

    public HloValue tanh(HloValue operand) {
        floating("tanh", operand);
        return unary("tanh", operand);
    }

    /** The logistic sigmoid 1 / (1 + e^-x). */
    public HloValue logistic(HloValue operand) {
        floating("logistic", operand);
        return unary("logistic", operand);
    }

    public HloValue sine(HloValue operand) {
        floating("sine", operand);
        return unary("sine", operand);
    }

    public HloValue cosine(HloValue operand) {
        floating("cosine", operand);
        return unary("cosine", operand);
    }

    public HloValue tan(HloValue operand) {
        floating("tan", operand);
        return unary("tan", operand);
    }

    public HloValue floor(HloValue operand) {
        floating("floor", operand);
        return unary("floor", operand);
    }

    public HloValue ceil(HloValue operand) {
        floating("ceil", operand);
        return unary("ceil", operand);
    }

    /** Rounds half to even, like {@code torch.round}. */
    public HloValue roundNearestEven(HloValue operand) {
        floating("round_nearest_even", operand);
        return unary("round_nearest_even", operand);
    }

    public HloValue roundNearestAwayFromZero(HloValue operand) {
        floating("round_nearest_afz", operand);
        return unary("round_nearest_afz", operand);
    }

    public HloValue isFinite(HloValue operand) {
        floating("is_finite", operand);
        return op("is_finite", List.of(operand), "", TensorType.of(DType.BOOL, operand.shape()));
    }

    /** CHLO's erf, which XLA expands to a polynomial of the operand's precision. */
    public HloValue erf(HloValue operand) {
        floating("erf", operand);
        return chlo("erf", operand);
    }

    /** A CHLO elementwise op ({@code chlo.<name>}), for functions StableHLO itself lacks; PJRT compilers accept CHLO. */
    public HloValue chlo(String op, HloValue operand) {
        StringBuilder line = blocks.get(blocks.size() - 1);
        String result = newName();
        line.append(indent()).append(result).append(" = \"chlo.").append(op).append("\"(").append(operand.name()).append(") : (")
                .append(operand.type()).append(") -> ").append(operand.type()).append('\n');
        return new HloValue(result, operand.type());
    }

    /** The comparison directions of {@link #compare}. */
    public enum Direction { EQ, NE, LT, LE, GT, GE }

    /** Elementwise comparison to bool: IEEE for floats (NaN compares unequal), signed or unsigned for integers. */
    public HloValue compare(Direction direction, HloValue lhs, HloValue rhs) {
        sameType("compare", lhs, rhs);
        DType dtype = lhs.dtype();
        String compareType = dtype.isFloatingPoint() ? "FLOAT" : dtype == DType.BOOL || dtype == DType.U8 ? "UNSIGNED" : "SIGNED";
        return op("compare", List.of(lhs, rhs), "comparison_direction = #stablehlo<comparison_direction " + direction
                + ">, compare_type = #stablehlo<comparison_type " + compareType + ">", TensorType.of(DType.BOOL, lhs.shape()));
    }

    /** {@code predicate ? onTrue : onFalse}, elementwise; the predicate is bool of the same shape or a scalar. */
    public HloValue select(HloValue predicate, HloValue onTrue, HloValue onFalse) {
        sameType("select", onTrue, onFalse);
        if (predicate.dtype() != DType.BOOL || (predicate.rank() != 0 && !Arrays.equals(predicate.shape(), onTrue.shape()))) {
            throw error("select", "the predicate must be i1 of shape " + Arrays.toString(onTrue.shape()) + " or a scalar, got "
                    + predicate.type());
        }
        return op("select", List.of(predicate, onTrue, onFalse), "", onTrue.type());
    }

    /** {@code min(max(operand, min), max)}; min and max are scalars or of the operand's shape. */
    public HloValue clamp(HloValue min, HloValue operand, HloValue max) {
        if (min.dtype() != operand.dtype() || max.dtype() != operand.dtype()) {
            throw error("clamp", "min, operand and max must have one element type: " + min + ", " + operand + ", " + max);
        }
        return op("clamp", List.of(min, operand, max), "", operand.type());
    }

    /** Converts the element type; to bool it is {@code x != 0}. Returns the operand itself when it already has that type. */
    public HloValue convert(HloValue operand, DType dtype) {
        if (operand.dtype() == dtype) {
            return operand;
        }
        return op("convert", List.of(operand), "", TensorType.of(dtype, operand.shape()));
    }

    public HloValue bitcastConvert(HloValue operand, DType dtype) {
        if (operand.dtype().byteSize() != dtype.byteSize()) {
            throw error("bitcast_convert", "only between element types of one width, not " + operand.dtype() + " and " + dtype);
        }
        return op("bitcast_convert", List.of(operand), "", TensorType.of(dtype, operand.shape()));
    }

    // ---- constants and iota -----------------------------------------------------------------------

    /** A tensor of {@code type} with every element {@code value}. */
    public HloValue constant(TensorType type, double value) {
        return op("constant", List.of(), "value = dense<" + Literals.element(type.dtype(), value) + "> : " + type, type);
    }

    /** A tensor of {@code type} with every element {@code value}; exact for 64-bit integers. */
    public HloValue constant(TensorType type, long value) {
        return op("constant", List.of(), "value = dense<" + Literals.element(type.dtype(), value) + "> : " + type, type);
    }

    /** A scalar ({@code tensor<dtype>}) constant. */
    public HloValue scalar(DType dtype, double value) {
        return constant(TensorType.of(dtype), value);
    }

    /** A constant holding the tensor's data, written exactly (hex for numbers). */
    public HloValue constant(HostTensor data) {
        return op("constant", List.of(), "value = dense<" + Literals.dense(data) + "> : " + data.type(), data.type());
    }

    /** 0, 1, 2, ... along {@code dimension}. */
    public HloValue iota(TensorType type, long dimension) {
        axis("iota", dimension, type.rank());
        return op("iota", List.of(), "iota_dimension = " + dimension + " : i64", type);
    }

    // ---- shape ops --------------------------------------------------------------------------------

    /** Broadcasts by placing operand dimension i at result dimension {@code dimensions[i]}. */
    public HloValue broadcastInDim(HloValue operand, long[] shape, long[] dimensions) {
        if (dimensions.length != operand.rank()) {
            throw error("broadcast_in_dim", "needs one dimension per operand dimension: " + Arrays.toString(dimensions) + " for " + operand.type());
        }
        for (int i = 0; i < dimensions.length; i++) {
            int d = axis("broadcast_in_dim", dimensions[i], shape.length);
            if (operand.shape()[i] != 1 && operand.shape()[i] != shape[d]) {
                throw error("broadcast_in_dim", "operand dimension " + i + " (" + operand.shape()[i] + ") does not fit result dimension "
                        + d + " (" + shape[d] + ")");
            }
        }
        return op("broadcast_in_dim", List.of(operand), "broadcast_dimensions = " + i64Array(dimensions),
                TensorType.of(operand.dtype(), shape));
    }

    /** NumPy-style broadcast of {@code operand} to {@code shape} (aligned at the right); the operand itself when nothing changes. */
    public HloValue broadcastTo(HloValue operand, long[] shape) {
        if (Arrays.equals(operand.shape(), shape)) {
            return operand;
        }
        long[] dimensions = new long[operand.rank()];
        for (int i = 0; i < dimensions.length; i++) {
            dimensions[i] = shape.length - operand.rank() + i;
        }
        return broadcastInDim(operand, shape, dimensions);
    }

    public HloValue reshape(HloValue operand, long... shape) {
        TensorType result = TensorType.of(operand.dtype(), shape);
        if (result.elementCount() != operand.type().elementCount()) {
            throw error("reshape", "cannot reshape " + operand.type() + " to " + result);
        }
        if (result.equals(operand.type())) {
            return operand;
        }
        return op("reshape", List.of(operand), "", result);
    }

    /** Result dimension i is operand dimension {@code permutation[i]}. */
    public HloValue transpose(HloValue operand, long... permutation) {
        if (permutation.length != operand.rank()) {
            throw error("transpose", "permutation " + Arrays.toString(permutation) + " does not fit " + operand.type());
        }
        long[] shape = new long[permutation.length];
        boolean[] seen = new boolean[permutation.length];
        boolean identity = true;
        for (int i = 0; i < permutation.length; i++) {
            int p = axis("transpose", permutation[i], operand.rank());
            if (seen[p]) {
                throw error("transpose", Arrays.toString(permutation) + " is not a permutation");
            }
            seen[p] = true;
            identity &= p == i;
            shape[i] = operand.shape()[p];
        }
        if (identity) {
            return operand;
        }
        return op("transpose", List.of(operand), "permutation = " + i64Array(permutation), TensorType.of(operand.dtype(), shape));
    }

    public HloValue slice(HloValue operand, long[] start, long[] limit, long[] strides) {
        int rank = operand.rank();
        if (start.length != rank || limit.length != rank || strides.length != rank) {
            throw error("slice", "start, limit and strides need " + rank + " entries each");
        }
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            if (start[i] < 0 || limit[i] < start[i] || limit[i] > operand.shape()[i] || strides[i] < 1) {
                throw error("slice", "dimension " + i + ": [" + start[i] + ", " + limit[i] + ") step " + strides[i]
                        + " does not fit " + operand.type());
            }
            shape[i] = (limit[i] - start[i] + strides[i] - 1) / strides[i];
        }
        return op("slice", List.of(operand), "start_indices = " + i64Array(start) + ", limit_indices = " + i64Array(limit)
                + ", strides = " + i64Array(strides), TensorType.of(operand.dtype(), shape));
    }

    public HloValue concatenate(List<HloValue> operands, long dimension) {
        if (operands.isEmpty()) {
            throw error("concatenate", "needs at least one operand");
        }
        HloValue first = operands.get(0);
        int d = axis("concatenate", dimension, first.rank());
        long[] shape = first.shape();
        shape[d] = 0;
        for (HloValue operand : operands) {
            long[] s = operand.shape();
            if (operand.dtype() != first.dtype() || s.length != shape.length) {
                throw error("concatenate", "operands differ in element type or rank: " + operands);
            }
            for (int i = 0; i < s.length; i++) {
                if (i != d && s[i] != first.shape()[i]) {
                    throw error("concatenate", "operands differ in dimension " + i + ": " + operands);
                }
            }
            shape[d] += s[d];
        }
        return op("concatenate", operands, "dimension = " + dimension + " : i64", TensorType.of(first.dtype(), shape));
    }

    public HloValue pad(HloValue operand, HloValue paddingValue, long[] low, long[] high, long[] interior) {
        long[] shape = operand.shape();
        for (int i = 0; i < shape.length; i++) {
            long size = shape[i] == 0 ? 0 : shape[i] + (shape[i] - 1) * interior[i];
            shape[i] = size + low[i] + high[i];
            if (shape[i] < 0) {
                throw error("pad", "dimension " + i + " becomes negative");
            }
        }
        return op("pad", List.of(operand, paddingValue), "edge_padding_low = " + i64Array(low) + ", edge_padding_high = "
                + i64Array(high) + ", interior_padding = " + i64Array(interior), TensorType.of(operand.dtype(), shape));
    }

    public HloValue reverse(HloValue operand, long... dimensions) {
        for (long d : dimensions) {
            axis("reverse", d, operand.rank());
        }
        return op("reverse", List.of(operand), "dimensions = " + i64Array(dimensions), operand.type());
    }

    /** A slice of {@code sizes} starting at scalar integer indices (clamped into range, as StableHLO defines it). */
    public HloValue dynamicSlice(HloValue operand, List<HloValue> startIndices, long[] sizes) {
        List<HloValue> operands = new ArrayList<>();
        operands.add(operand);
        operands.addAll(startIndices);
        return op("dynamic_slice", operands, "slice_sizes = " + i64Array(sizes), TensorType.of(operand.dtype(), sizes));
    }

    public HloValue dynamicUpdateSlice(HloValue operand, HloValue update, List<HloValue> startIndices) {
        List<HloValue> operands = new ArrayList<>();
        operands.add(operand);
        operands.add(update);
        operands.addAll(startIndices);
        return op("dynamic_update_slice", operands, "", operand.type());
    }

    // ---- contractions -----------------------------------------------------------------------------

    /**
     * A general dot: the result has the batch dimensions, then lhs's free dimensions, then rhs's. Operands share
     * an element type, which the result keeps.
     */
    public HloValue dotGeneral(HloValue lhs, HloValue rhs, long[] lhsBatch, long[] rhsBatch, long[] lhsContracting, long[] rhsContracting) {
        if (lhs.dtype() != rhs.dtype()) {
            throw error("dot_general", "operands must have one element type: " + lhs.type() + ", " + rhs.type());
        }
        if (lhsBatch.length != rhsBatch.length || lhsContracting.length != rhsContracting.length) {
            throw error("dot_general", "batch and contracting dimensions must pair up");
        }
        List<Long> shape = new ArrayList<>();
        for (int i = 0; i < lhsBatch.length; i++) {
            long l = lhs.shape()[axis("dot_general", lhsBatch[i], lhs.rank())];
            if (l != rhs.shape()[axis("dot_general", rhsBatch[i], rhs.rank())]) {
                throw error("dot_general", "batch dimension " + i + " differs: " + lhs.type() + " and " + rhs.type());
            }
            shape.add(l);
        }
        for (int i = 0; i < lhsContracting.length; i++) {
            if (lhs.shape()[axis("dot_general", lhsContracting[i], lhs.rank())]
                    != rhs.shape()[axis("dot_general", rhsContracting[i], rhs.rank())]) {
                throw error("dot_general", "contracting dimension " + i + " differs: " + lhs.type() + " and " + rhs.type());
            }
        }
        addFree(shape, lhs, lhsBatch, lhsContracting);
        addFree(shape, rhs, rhsBatch, rhsContracting);
        StringJoiner numbers = new StringJoiner(", ", "dot_dimension_numbers = #stablehlo.dot<", ">");
        if (lhsBatch.length > 0) {
            numbers.add("lhs_batching_dimensions = " + list(lhsBatch)).add("rhs_batching_dimensions = " + list(rhsBatch));
        }
        if (lhsContracting.length > 0) {
            numbers.add("lhs_contracting_dimensions = " + list(lhsContracting)).add("rhs_contracting_dimensions = " + list(rhsContracting));
        }
        return op("dot_general", List.of(lhs, rhs), numbers.toString(),
                TensorType.of(lhs.dtype(), shape.stream().mapToLong(Long::longValue).toArray()));
    }

    private static void addFree(List<Long> shape, HloValue operand, long[] batch, long[] contracting) {
        for (int i = 0; i < operand.rank(); i++) {
            final long axis = i;
            if (Arrays.stream(batch).noneMatch(b -> b == axis) && Arrays.stream(contracting).noneMatch(c -> c == axis)) {
                shape.add(operand.shape()[i]);
            }
        }
    }

    /**
     * A convolution in PyTorch's layouts: input {@code [batch, feature, spatial...]}, kernel
     * {@code [out, in / groups, spatial...]}, result {@code [batch, out, spatial...]}.
     */
    public HloValue convolution(HloValue input, HloValue kernel, long[] strides, long[] paddingLow, long[] paddingHigh,
            long[] inputDilation, long[] kernelDilation, long featureGroupCount, long batchGroupCount) {
        return convolution(input, kernel, strides, paddingLow, paddingHigh, inputDilation, kernelDilation, featureGroupCount,
                batchGroupCount, "");
    }

    /**
     * {@link #convolution} marked as an alternative to {@code value} ({@link io.torchtpu.api.Runtime#ALTERNATIVE_TO}):
     * the plain convolution beside the form the caller chose to compute {@code value} with, for a runtime whose
     * kernels run the plain one better. It must have {@code value}'s type; nothing may read it.
     */
    public void convolutionAlternativeTo(HloValue value, HloValue input, HloValue kernel, long[] strides, long[] paddingLow,
            long[] paddingHigh, long[] inputDilation, long[] kernelDilation, long featureGroupCount) {
        HloValue alternative = convolution(input, kernel, strides, paddingLow, paddingHigh, inputDilation, kernelDilation,
                featureGroupCount, 1, ", " + io.torchtpu.api.Runtime.ALTERNATIVE_TO + " = \"" + value.name() + "\"");
        if (!alternative.type().equals(value.type())) {
            throw error("convolution", "an alternative to " + value.name() + " must have its type " + value.type() + ", not "
                    + alternative.type());
        }
    }

    private HloValue convolution(HloValue input, HloValue kernel, long[] strides, long[] paddingLow, long[] paddingHigh,
            long[] inputDilation, long[] kernelDilation, long featureGroupCount, long batchGroupCount, String moreAttributes) {
        int spatial = input.rank() - 2;
        if (spatial < 1 || kernel.rank() != input.rank() || input.dtype() != kernel.dtype()) {
            throw error("convolution", "input and kernel must be [b, f, spatial...] and [o, i, spatial...] of one element type: "
                    + input.type() + ", " + kernel.type());
        }
        if (input.shape()[1] != kernel.shape()[1] * featureGroupCount) {
            throw error("convolution", "input features " + input.shape()[1] + " != kernel input features " + kernel.shape()[1]
                    + " x groups " + featureGroupCount);
        }
        long[] shape = new long[input.rank()];
        shape[0] = input.shape()[0] / batchGroupCount;
        shape[1] = kernel.shape()[0];
        StringJoiner dims = new StringJoiner(", ");
        for (int i = 0; i < spatial; i++) {
            dims.add(Integer.toString(i));
            long in = input.shape()[i + 2];
            long dilatedIn = in == 0 ? 0 : (in - 1) * inputDilation[i] + 1;
            long padded = dilatedIn + paddingLow[i] + paddingHigh[i];
            long window = (kernel.shape()[i + 2] - 1) * kernelDilation[i] + 1;
            shape[i + 2] = padded < window ? 0 : (padded - window) / strides[i] + 1;
        }
        String layout = "[b, f, " + dims + "]x[o, i, " + dims + "]->[b, f, " + dims + "]";
        String attributes = "dimension_numbers = #stablehlo.conv<" + layout + ">, window_strides = " + i64Array(strides)
                + ", padding = " + padding(paddingLow, paddingHigh) + ", lhs_dilation = " + i64Array(inputDilation)
                + ", rhs_dilation = " + i64Array(kernelDilation) + ", feature_group_count = " + featureGroupCount
                + " : i64, batch_group_count = " + batchGroupCount + " : i64" + moreAttributes;
        return op("convolution", List.of(input, kernel), attributes, TensorType.of(input.dtype(), shape));
    }

    // ---- ops with regions -------------------------------------------------------------------------

    /**
     * Reduces {@code inputs} over {@code dimensions}, starting from the scalar {@code inits}. The body gets
     * (accumulators..., elements...) as scalars and returns the new accumulators.
     */
    public List<HloValue> reduce(List<HloValue> inputs, List<HloValue> inits, long[] dimensions, Body body) {
        if (inputs.size() != inits.size() || inputs.isEmpty()) {
            throw error("reduce", "needs one init per input");
        }
        long[] inShape = inputs.get(0).shape();
        for (long d : dimensions) {
            axis("reduce", d, inShape.length);
        }
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < inShape.length; i++) {
            final long axis = i;
            if (Arrays.stream(dimensions).noneMatch(d -> d == axis)) {
                kept.add(inShape[i]);
            }
        }
        long[] shape = kept.stream().mapToLong(Long::longValue).toArray();
        List<TensorType> blockTypes = new ArrayList<>();
        List<TensorType> resultTypes = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (!Arrays.equals(inputs.get(i).shape(), inShape) || inits.get(i).rank() != 0
                    || inits.get(i).dtype() != inputs.get(i).dtype()) {
                throw error("reduce", "inputs must share a shape and each init be a scalar of its input's type: " + inputs + ", " + inits);
            }
            resultTypes.add(TensorType.of(inputs.get(i).dtype(), shape));
        }
        inits.forEach(v -> blockTypes.add(v.type()));
        inits.forEach(v -> blockTypes.add(v.type()));
        List<HloValue> operands = new ArrayList<>(inputs);
        operands.addAll(inits);
        String region = region(blockTypes, body);
        return ops("reduce", operands, region, "dimensions = " + i64Array(dimensions), resultTypes);
    }

    /** One input reduced with one scalar op such as {@code add} or {@code maximum}. */
    public HloValue reduce(HloValue input, HloValue init, long[] dimensions, java.util.function.BinaryOperator<HloValue> combine) {
        return reduce(List.of(input), List.of(init), dimensions,
                (b, args) -> List.of(combine.apply(args.get(0), args.get(1)))).get(0);
    }

    /** Sliding-window reduction ({@code max_pool}, {@code avg_pool}). */
    public List<HloValue> reduceWindow(List<HloValue> inputs, List<HloValue> inits, long[] windowDimensions, long[] windowStrides,
            long[] baseDilations, long[] windowDilations, long[] paddingLow, long[] paddingHigh, Body body) {
        long[] in = inputs.get(0).shape();
        long[] shape = new long[in.length];
        for (int i = 0; i < in.length; i++) {
            long dilated = in[i] == 0 ? 0 : (in[i] - 1) * baseDilations[i] + 1;
            long padded = dilated + paddingLow[i] + paddingHigh[i];
            long window = (windowDimensions[i] - 1) * windowDilations[i] + 1;
            shape[i] = padded < window ? 0 : (padded - window) / windowStrides[i] + 1;
        }
        List<TensorType> blockTypes = new ArrayList<>();
        List<TensorType> resultTypes = new ArrayList<>();
        inits.forEach(v -> blockTypes.add(v.type()));
        inits.forEach(v -> blockTypes.add(v.type()));
        inputs.forEach(v -> resultTypes.add(TensorType.of(v.dtype(), shape)));
        List<HloValue> operands = new ArrayList<>(inputs);
        operands.addAll(inits);
        String region = region(blockTypes, body);
        String attributes = "window_dimensions = " + i64Array(windowDimensions) + ", window_strides = " + i64Array(windowStrides)
                + ", base_dilations = " + i64Array(baseDilations) + ", window_dilations = " + i64Array(windowDilations)
                + ", padding = " + padding(paddingLow, paddingHigh);
        return ops("reduce_window", operands, region, attributes, resultTypes);
    }

    /** Sorts the inputs together along {@code dimension}; the comparator gets (lhs0, rhs0, lhs1, rhs1, ...) and returns a bool. */
    public List<HloValue> sort(List<HloValue> inputs, long dimension, boolean stable, Body comparator) {
        axis("sort", dimension, inputs.get(0).rank());
        List<TensorType> blockTypes = new ArrayList<>();
        for (HloValue input : inputs) {
            blockTypes.add(TensorType.of(input.dtype()));
            blockTypes.add(TensorType.of(input.dtype()));
        }
        String region = region(blockTypes, comparator);
        return ops("sort", inputs, region, "dimension = " + dimension + " : i64, is_stable = " + stable,
                inputs.stream().map(HloValue::type).toList());
    }

    /**
     * StableHLO gather (see the spec): slices of {@code sliceSizes} at the indices of {@code startIndices}. The
     * result has the batch dimensions of the indices with the slice's non-collapsed dimensions at {@code offsetDims}.
     */
    public HloValue gather(HloValue operand, HloValue startIndices, long[] offsetDims, long[] collapsedSliceDims,
            long[] startIndexMap, long indexVectorDim, long[] sliceSizes) {
        long[] indicesShape = startIndices.shape();
        List<Long> batch = new ArrayList<>();
        for (int i = 0; i < indicesShape.length; i++) {
            if (i != indexVectorDim) {
                batch.add(indicesShape[i]);
            }
        }
        List<Long> offsets = new ArrayList<>();
        for (int i = 0; i < sliceSizes.length; i++) {
            final long axis = i;
            if (Arrays.stream(collapsedSliceDims).noneMatch(c -> c == axis)) {
                offsets.add(sliceSizes[i]);
            }
        }
        if (offsets.size() != offsetDims.length) {
            throw error("gather", "offset_dims " + Arrays.toString(offsetDims) + " must name the " + offsets.size()
                    + " slice dimensions that are not collapsed");
        }
        long[] shape = new long[batch.size() + offsets.size()];
        int nextBatch = 0;
        int nextOffset = 0;
        for (int i = 0; i < shape.length; i++) {
            final long axis = i;
            shape[i] = Arrays.stream(offsetDims).anyMatch(o -> o == axis) ? offsets.get(nextOffset++) : batch.get(nextBatch++);
        }
        String attributes = "dimension_numbers = #stablehlo.gather<offset_dims = " + list(offsetDims) + ", collapsed_slice_dims = "
                + list(collapsedSliceDims) + ", start_index_map = " + list(startIndexMap) + ", index_vector_dim = " + indexVectorDim
                + ">, slice_sizes = " + i64Array(sliceSizes) + ", indices_are_sorted = false";
        return op("gather", List.of(operand, startIndices), attributes, TensorType.of(operand.dtype(), shape));
    }

    /** StableHLO scatter of one input: {@code combine} gets (current, update) scalars and returns the new element. */
    public HloValue scatter(HloValue operand, HloValue scatterIndices, HloValue updates, long[] updateWindowDims,
            long[] insertedWindowDims, long[] scatterDimsToOperandDims, long indexVectorDim, Body combine) {
        String region = region(List.of(TensorType.of(operand.dtype()), TensorType.of(operand.dtype())), combine);
        String attributes = "scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = " + list(updateWindowDims)
                + ", inserted_window_dims = " + list(insertedWindowDims) + ", scatter_dims_to_operand_dims = "
                + list(scatterDimsToOperandDims) + ", index_vector_dim = " + indexVectorDim
                + ">, indices_are_sorted = false, unique_indices = false";
        return ops("scatter", List.of(operand, scatterIndices, updates), region, attributes, List.of(operand.type())).get(0);
    }

    // ---- composites -------------------------------------------------------------------------------

    /**
     * A {@code stablehlo.composite}: an op named {@code name} (such as {@code vendor.fused_rms_norm}) that a backend
     * may know and implement itself, and that any other inlines as its decomposition. The decomposition becomes a
     * private function of this module, {@code @<name>.impl_<n>} ({@code n} counting that name's composites in
     * emission order); {@code decomposition} writes its body on that function's builder from its arguments (one per
     * operand, of the operand's type), and what it returns gives the composite's result types.
     *
     * @param attributes the composite's attributes, each value in MLIR's attribute syntax (see {@link #attribute});
     *     written sorted by name
     * @param version the composite's version (an {@code i32})
     * @return one value per value the decomposition returns
     */
    public List<HloValue> composite(String name, List<HloValue> operands, Map<String, String> attributes, int version,
            Body decomposition) {
        if (!COMPOSITE_NAME.matcher(name).matches()) {
            throw error("composite", "name must be letters, digits and _$.-, got \"" + name + "\"");
        }
        Map<String, String> sorted = new TreeMap<>(attributes);
        StringJoiner attributeText = new StringJoiner(", ", "{", "}");
        sorted.forEach((key, value) -> {
            if (!BARE_IDENTIFIER.matcher(key).matches() || value == null || value.isBlank()) {
                throw error("composite", "attribute " + key + " = " + value + " needs a bare name and a value");
            }
            attributeText.add(key + " = " + value);
        });
        FunctionBuilder function = module.decomposition(name, operands.stream().map(HloValue::type).toList());
        List<HloValue> returned = decomposition.emit(function, function.arguments());
        if (returned.isEmpty()) {
            throw error("composite", name + ": the decomposition returns nothing");
        }
        function.ret(returned);
        List<TensorType> resultTypes = returned.stream().map(HloValue::type).toList();
        String result = newName();
        StringJoiner names = new StringJoiner(", ");
        operands.forEach(operand -> names.add(operand.name()));
        StringBuilder line = blocks.get(blocks.size() - 1);
        line.append(indent()).append(result).append(resultTypes.size() > 1 ? ":" + resultTypes.size() : "")
                .append(" = stablehlo.composite \"").append(name).append('"');
        if (!operands.isEmpty()) {
            line.append(' ').append(names);
        }
        line.append(" {");
        if (!sorted.isEmpty()) {
            line.append("composite_attributes = ").append(attributeText).append(", ");
        }
        line.append("decomposition = @").append(function.name()).append(", version = ").append(version).append(" : i32}")
                .append(functionalType(operands, resultTypes)).append('\n');
        return results(result, resultTypes);
    }

    /** A number attribute of {@code dtype}, such as {@code 1.0E-6 : f32} or {@code 3 : i64} ({@code true} for bool). */
    public static String attribute(DType dtype, double value) {
        String element = Literals.element(dtype, value);
        return dtype == DType.BOOL ? element : element + " : " + dtype.stableHloName();
    }

    /** An integer attribute of {@code dtype}, exact for 64-bit values. */
    public static String attribute(DType dtype, long value) {
        String element = Literals.element(dtype, value);
        return dtype == DType.BOOL ? element : element + " : " + dtype.stableHloName();
    }

    /** A string attribute, quoted and escaped. */
    public static String attribute(String value) {
        StringBuilder text = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            if (c == '"' || c == '\\') {
                text.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                for (byte b : String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    text.append('\\').append(String.format("%02X", b & 0xff));
                }
            } else {
                text.append(c);
            }
        }
        return text.append('"').toString();
    }
}
