package io.torchtpu.backend.cpu;

import io.torchtpu.api.Runtime;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Convolutions run by oneDNN inside XLA: this class registers the FFI handler of {@code libtorchtpu_cpu_kernels}
 * (native/onednn_convolution.c) with the CPU plugin and rewrites a program's f32 {@code stablehlo.convolution}
 * ops, and its linear layers as 1x1 convolutions ({@link #linearsAsConvolutions}), into {@code stablehlo.custom_call}s of it.
 *
 * <p>Why: on narrow layers (16-64 channels) XLA's CPU convolution kernels ran at half oneDNN's speed; at batch
 * 32 ResNet-18 lost 2x to libtorch for it (torchtpu bench). The rewrite keeps each convolution's logical
 * shapes and fixes the physical layouts oneDNN runs fastest, channels last for activations and
 * [spatial..., in, out] for weights; XLA's layout assignment carries those layouts to the ops around, so
 * no transposes are added where the program has none. Whether the rewritten program is faster is measured,
 * per program, by {@link KernelLibraryTuning}.
 */
final class OneDnnConvolutions {
    private static final Logger LOG = LoggerFactory.getLogger(OneDnnConvolutions.class);
    /**
     * The custom call target of the first copy of the handler library a process loads; a copy loaded after an update
     * of this bundle has another ({@link PjrtPlugin#registerFfiHandlerOnce}).
     */
    static final String TARGET = "torchtpu.onednn.convolution";
    static final String LIBRARY = "torchtpu_cpu_kernels";
    /** The name fetch-onednn.sh gives oneDNN in the plugin cache. */
    static final String ONEDNN_FILE = "libdnnl.so.3";

    private static final Pattern CONVOLUTION = Pattern.compile(
            "^(\\s*)(%[\\w.#:]+) = \"stablehlo\\.convolution\"\\((%[\\w.#:]+), (%[\\w.#:]+)\\) \\{(.*)\\} : "
                    + "\\((tensor<[^>]*>), (tensor<[^>]*>)\\) -> (tensor<[^>]*>)\\s*$");
    private static final Pattern DIMENSION_NUMBERS = Pattern.compile(
            "dimension_numbers = #stablehlo\\.conv<\\[([^\\]]*)\\]x\\[([^\\]]*)\\]->\\[([^\\]]*)\\]>");
    private static final Pattern PADDING = Pattern.compile("padding = dense<(\\[\\[[^>]*\\]\\]|-?\\d+)> : tensor<[^>]*>");
    private static final Pattern TENSOR = Pattern.compile("tensor<((?:\\d+x)*)f32>");
    private static final Pattern TRANSPOSE = Pattern.compile(
            "^\\s*(%[\\w.#:]+) = \"stablehlo\\.transpose\"\\((%[\\w.#:]+)\\) \\{permutation = array<i64: ([\\d, ]+)>\\} : "
                    + "\\((tensor<[^>]*>)\\) -> tensor<[^>]*>\\s*$");

    private static final String NAME = "%[\\w.#:]+";
    /**
     * Linear layers with larger weights stay XLA's: each slice of the call reads all the weights, in the layout
     * stored for XLA, and BERT-base's 768-wide layers ran at 83-95 GFLOP/s a core in oneDNN (ONEDNN_VERBOSE)
     * against 141-148 for the 256-wide ones (1 MiB of weights is 256x1024); the whole of BERT-base at batch 1
     * took 133 ms against YNNPACK's 105-109.
     */
    static final long MAX_LINEAR_WEIGHT_BYTES = 1 << 20;
    /** A product without batch dimensions whose right operand contracts its first dimension: a linear layer's shape. */
    private static final Pattern LINEAR = Pattern.compile("^(\\s*)(" + NAME + ") = \"stablehlo\\.dot_general\"\\((" + NAME + "), (" + NAME
            + ")\\) \\{dot_dimension_numbers = #stablehlo\\.dot<lhs_contracting_dimensions = \\[(\\d+)\\], "
            + "rhs_contracting_dimensions = \\[0\\]>\\} : \\((tensor<[^>]*>), (tensor<[^>]*>)\\) -> (tensor<[^>]*>)\\s*$");
    private static final Pattern ALTERNATIVE = Pattern.compile("\\b" + Pattern.quote(Runtime.ALTERNATIVE_TO) + " = \"(" + NAME + ")\"");
    private static final Pattern VALUE = Pattern.compile(NAME);
    private static final Pattern DEFINITION = Pattern.compile("^\\s*(" + NAME + ") = ");
    private static final Pattern BINARY = Pattern.compile("^\\s*(" + NAME + ") = \"stablehlo\\.(add|maximum)\"\\((" + NAME + "), (" + NAME
            + ")\\) : \\((tensor<[^>]*>), (tensor<[^>]*>)\\) -> (tensor<[^>]*>)\\s*$");
    private static final Pattern BROADCAST = Pattern.compile("^\\s*(" + NAME + ") = \"stablehlo\\.broadcast_in_dim\"\\((" + NAME
            + ")\\) \\{broadcast_dimensions = array<i64: (\\d+)>\\} : \\((tensor<(\\d+)xf32>)\\) -> tensor<[^>]*>\\s*$");
    private static final Pattern ZEROS = Pattern.compile("^\\s*(" + NAME + ") = \"stablehlo\\.constant\"\\(\\) "
            + "\\{value = dense<(?:0\\.0|0\\.000000e\\+00)> : tensor<[^>]*>\\} : \\(\\) -> tensor<[^>]*>\\s*$");

    /**
     * What the call also does after the convolution: add a per-feature bias, then maybe a residual of the
     * result's shape, then maybe ReLU, so that the separate pass XLA would make over the result is not needed;
     * {@code result} is the value the call then defines and {@code replaced} the lines it makes unnecessary.
     * {@code residual} is null when there is none.
     */
    private record Epilogue(String bias, String biasType, String residual, boolean relu, String result, List<Integer> replaced) {}

    /** A transpose the call can read through: its operand, that operand's type, and which operand dimension each result one is. */
    private record Transpose(String operand, String operandType, int[] permutation) {}

    private final String version;
    private final String target;

    private OneDnnConvolutions(String version, String target) {
        this.version = version;
        this.target = target;
    }

    /**
     * Loads oneDNN and the handler and registers the handler with the plugin, or says why not (logged, not
     * thrown: without oneDNN the backend runs convolutions with XLA's own kernels).
     *
     * @param oneDnn the oneDNN library; {@code null} for the one fetch-onednn.sh put beside the CPU plugin
     */
    static Optional<OneDnnConvolutions> register(PjrtPlugin plugin, Path oneDnn, String backendId) {
        Path library = oneDnn != null ? oneDnn : PjrtPlugin.defaultCpuPluginPath().resolveSibling(ONEDNN_FILE);
        try {
            if (!Files.isRegularFile(library)) {
                LOG.info("backend {}: convolutions run with XLA's kernels only: no oneDNN at {} "
                        + "(runtime-launcher/scripts/fetch-onednn.sh installs it)", backendId, library);
                return Optional.empty();
            }
            UnsatisfiedLinkError oneDnnLoad = null;
            try {
                // loaded by path first, so that the handler library's dependency on libdnnl.so.3 finds it by soname
                System.load(library.toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                // after an update of this bundle: loaded already, by the class loader of the bundle's earlier revision;
                // the process has it, and the handler library below finds it
                oneDnnLoad = e;
            }
            try {
                System.loadLibrary(LIBRARY);
            } catch (UnsatisfiedLinkError e) {
                throw oneDnnLoad == null ? e
                        : new UnsatisfiedLinkError(e.getMessage() + " (loading " + library + " itself: " + oneDnnLoad.getMessage() + ")");
            }
            String target = plugin.registerFfiHandlerOnce(TARGET, "cpu", handlerAddress());
            String version = libraryVersion();
            LOG.info("backend {}: oneDNN {} from {} can run convolutions{}", backendId, version, library,
                    target.equals(TARGET) ? "" : " (custom call target " + target + ")");
            return Optional.of(new OneDnnConvolutions(version, target));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.warn("backend {}: convolutions run with XLA's kernels only: oneDNN at {} could not be used: {}", backendId, library,
                    e.getMessage());
            return Optional.empty();
        }
    }

    String version() {
        return version;
    }

    /** The custom call target the rewritten programs call. */
    String target() {
        return target;
    }

    /**
     * The program with each f32 convolution oneDNN can run, and each linear layer ({@link #linearsAsConvolutions}),
     * made a call of the handler; the same string when none.
     */
    static String rewrite(String stableHlo) {
        return rewrite(stableHlo, TARGET);
    }

    /** As {@link #rewrite(String)}, the calls made to {@code target}. */
    static String rewrite(String stableHlo, String target) {
        String program = linearsAsConvolutions(stableHlo);
        if (!program.contains("\"stablehlo.convolution\"")) {
            return stableHlo;
        }
        String[] lines = program.split("\n", -1);
        takeAlternatives(lines);
        Uses uses = new Uses(lines);
        boolean changed = false;
        Map<String, Transpose> transposes = new HashMap<>();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains("func.func")) {
                transposes.clear(); // value names are per function
            }
            Matcher transpose = TRANSPOSE.matcher(lines[i]);
            if (transpose.matches()) {
                int[] permutation = Arrays.stream(transpose.group(3).split(",\\s*")).mapToInt(Integer::parseInt).toArray();
                transposes.put(transpose.group(1), new Transpose(transpose.group(2), transpose.group(4), permutation));
            }
            if (!lines[i].contains("\"stablehlo.convolution\"")) {
                continue;
            }
            int at = i;
            Epilogue[] found = new Epilogue[1];
            String call = customCall(lines[i], transposes,
                    (result, featureDim, features) -> found[0] = epilogue(lines, uses, at, result, featureDim, features), target);
            if (call != null) {
                lines[i] = call;
                if (found[0] != null) {
                    found[0].replaced().forEach(replaced -> lines[replaced] = ""); // the call defines their results now
                }
                changed = true;
            }
        }
        return changed ? String.join("\n", lines) : stableHlo;
    }

    /**
     * The program with each linear layer, an f32 {@code dot_general} of {@code [..., K]} activations (rank 2 or 3)
     * by {@code [K, N]} weights contracting K, written as the 1x1 convolution it is: activations {@code [b, 0, f]},
     * weights reshaped to {@code [1, K, N]} ({@code [0, i, o]}, the same bytes). The convolution pass then makes it
     * a call of the handler, with the bias, residual and ReLU after it, as it does for any convolution.
     *
     * <p>Why: XLA's CPU products (YNNPACK's and Eigen's) split each product across the pool and pack the weights
     * on every call; for a BERT-sized layer at batch 1 (seq 128, d 256) they spent as much time on two cores as
     * libtorch on one. oneDNN's 1x1 convolution ran those shapes at 141-148 GFLOP/s a core in the handler's
     * single-threaded slices (ONEDNN_VERBOSE), and the layer's step went from 1.36-1.46 to 1.15-1.20 ms.
     * Only weights up to {@link #MAX_LINEAR_WEIGHT_BYTES}.
     */
    static String linearsAsConvolutions(String stableHlo) {
        if (!stableHlo.contains("\"stablehlo.dot_general\"")) {
            return stableHlo;
        }
        String[] lines = stableHlo.split("\n", -1);
        boolean changed = false;
        for (int i = 0; i < lines.length; i++) {
            Matcher dot = LINEAR.matcher(lines[i]);
            if (!dot.matches()) {
                continue;
            }
            long[] lhs = shape(dot.group(6));
            long[] rhs = shape(dot.group(7));
            long[] out = shape(dot.group(8));
            if (lhs == null || rhs == null || out == null || lhs.length < 2 || lhs.length > 3 || rhs.length != 2
                    || Integer.parseInt(dot.group(5)) != lhs.length - 1 || lhs[lhs.length - 1] != rhs[0]
                    || out.length != lhs.length || out[out.length - 1] != rhs[1] || rhs[0] * rhs[1] * Float.BYTES > MAX_LINEAR_WEIGHT_BYTES) {
                continue;
            }
            String indent = dot.group(1);
            String suffix = i + "_" + dot.group(2).substring(1).replaceAll("\\W", "_");
            String weights = "%onednn_weights_" + suffix;
            String weightsType = "tensor<1x" + rhs[0] + "x" + rhs[1] + "xf32>";
            StringBuilder replacement = new StringBuilder(reshape(indent, weights, dot.group(4), dot.group(7), weightsType)).append('\n');
            String activations = dot.group(3);
            String activationsType = dot.group(6);
            String result = dot.group(2);
            String resultType = dot.group(8);
            if (lhs.length == 2) {
                // a batch of one, the rows as its positions: reshapes that copy nothing
                activations = "%onednn_rows_" + suffix;
                activationsType = "tensor<1x" + lhs[0] + "x" + lhs[1] + "xf32>";
                replacement.append(reshape(indent, activations, dot.group(3), dot.group(6), activationsType)).append('\n');
                result = "%onednn_result_" + suffix;
                resultType = "tensor<1x" + out[0] + "x" + out[1] + "xf32>";
            }
            replacement.append(indent).append(result).append(" = \"stablehlo.convolution\"(").append(activations).append(", ").append(weights)
                    .append(") {batch_group_count = 1 : i64, dimension_numbers = #stablehlo.conv<[b, 0, f]x[0, i, o]->[b, 0, f]>, ")
                    .append("feature_group_count = 1 : i64} : (").append(activationsType).append(", ").append(weightsType).append(") -> ")
                    .append(resultType);
            if (lhs.length == 2) {
                replacement.append('\n').append(reshape(indent, dot.group(2), result, resultType, dot.group(8)));
            }
            lines[i] = replacement.toString();
            changed = true;
        }
        return changed ? String.join("\n", lines) : stableHlo;
    }

    /** A line defining {@code name} as {@code operand} reshaped from {@code fromType} to {@code toType}. */
    private static String reshape(String indent, String name, String operand, String fromType, String toType) {
        return indent + name + " = \"stablehlo.reshape\"(" + operand + ") : (" + fromType + ") -> " + toType;
    }

    /**
     * Makes each convolution oneDNN runs that is marked as an alternative ({@link Runtime#ALTERNATIVE_TO}) the
     * value it is an alternative to: the lines after it read the convolution's result instead of that value, so
     * the form the lowering chose for XLA's kernels (matrix products over patches, a space-to-depth convolution)
     * is left unread and XLA drops it. A marked convolution oneDNN cannot run stays unread instead.
     */
    private static void takeAlternatives(String[] lines) {
        for (int i = 0; i < lines.length; i++) {
            Matcher marked = ALTERNATIVE.matcher(lines[i]);
            Matcher op = CONVOLUTION.matcher(lines[i]);
            if (!marked.find() || !op.matches() || customCall(lines[i]) == null) {
                continue;
            }
            String replaced = marked.group(1);
            String alternative = op.group(2);
            for (int j = i + 1; j < lines.length && !lines[j].contains("func.func"); j++) {
                lines[j] = renamed(lines[j], replaced, alternative);
            }
        }
    }

    /** The line with each read of the value {@code from} made a read of {@code to}. */
    private static String renamed(String line, String from, String to) {
        if (!line.contains(from)) {
            return line;
        }
        StringBuilder out = new StringBuilder();
        Matcher value = VALUE.matcher(line);
        int copied = 0;
        while (value.find()) {
            if (value.group().equals(from)) {
                out.append(line, copied, value.start()).append(to);
                copied = value.end();
            }
        }
        return out.append(line, copied, line.length()).toString();
    }

    /** Where each value of a function is defined and read. */
    private static final class Uses {
        private final int[] functionOf;
        private final Map<String, Integer> definedAt = new HashMap<>();
        private final Map<String, Integer> readCount = new HashMap<>();
        private final Map<String, Integer> lastReader = new HashMap<>();

        Uses(String[] lines) {
            functionOf = new int[lines.length];
            int function = 0;
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].contains("func.func")) {
                    function++; // value names are per function
                }
                functionOf[i] = function;
                Matcher definition = DEFINITION.matcher(lines[i]);
                int from = 0;
                if (definition.find()) {
                    definedAt.put(function + definition.group(1), i);
                    from = definition.end();
                }
                Matcher value = VALUE.matcher(lines[i]);
                while (value.find(from)) {
                    String key = function + value.group();
                    readCount.merge(key, 1, Integer::sum);
                    lastReader.put(key, i);
                    from = value.end();
                }
            }
        }

        /** The one line that reads {@code name} (in the function of {@code line}), or -1 when more or none do. */
        int soleReader(int line, String name) {
            String key = functionOf[line] + name;
            return readCount.getOrDefault(key, 0) == 1 ? lastReader.get(key) : -1;
        }

        /** The line defining {@code name} (in the function of {@code line}), or -1 for an argument of the function. */
        int definition(int line, String name) {
            return definedAt.getOrDefault(functionOf[line] + name, -1);
        }
    }

    /**
     * The bias, residual and ReLU that follow the convolution at {@code line}: its result read only by an
     * {@code add} of a per-feature bias (a {@code broadcast_in_dim} of a vector defined before the convolution);
     * that sum read only, if at all, by an {@code add} of a value of the same type defined before the
     * convolution (a residual connection); the last sum read only, if at all, by a {@code maximum} with zeros.
     */
    private static Epilogue epilogue(String[] lines, Uses uses, int line, String result, int featureDim, long features) {
        int addLine = soleReader(lines, uses, line, result, "add");
        if (addLine < 0) {
            return null;
        }
        Matcher add = binary(lines, addLine);
        int broadcastLine = uses.definition(line, otherOperand(add, result));
        Matcher broadcast = broadcastLine < 0 ? null : BROADCAST.matcher(lines[broadcastLine]);
        if (broadcast == null || !broadcast.matches() || Integer.parseInt(broadcast.group(3)) != featureDim
                || Long.parseLong(broadcast.group(5)) != features || uses.definition(line, broadcast.group(2)) >= line) {
            return null;
        }
        List<Integer> replaced = new ArrayList<>(List.of(addLine));
        String sum = add.group(1);
        String residual = null;
        int residualLine = soleReader(lines, uses, addLine, sum, "add");
        if (residualLine >= 0) {
            Matcher residualAdd = binary(lines, residualLine);
            String other = otherOperand(residualAdd, sum);
            // read by the call at the convolution's place, so it must exist there
            if (uses.definition(line, other) < line && residualAdd.group(5).equals(residualAdd.group(6))) {
                residual = other;
                sum = residualAdd.group(1);
                replaced.add(residualLine);
            }
        }
        int maximumLine = soleReader(lines, uses, replaced.get(replaced.size() - 1), sum, "maximum");
        boolean relu = false;
        if (maximumLine >= 0) {
            Matcher maximum = binary(lines, maximumLine);
            int zerosLine = uses.definition(line, otherOperand(maximum, sum));
            if (zerosLine >= 0 && ZEROS.matcher(lines[zerosLine]).matches()) {
                relu = true;
                sum = maximum.group(1);
                replaced.add(maximumLine);
            }
        }
        return new Epilogue(broadcast.group(2), broadcast.group(4), residual, relu, sum, replaced);
    }

    /** The line of the {@code add} or {@code maximum} that alone reads {@code name}; -1 when there is none. */
    private static int soleReader(String[] lines, Uses uses, int line, String name, String op) {
        int reader = uses.soleReader(line, name);
        if (reader < 0) {
            return -1;
        }
        Matcher binary = BINARY.matcher(lines[reader]);
        return binary.matches() && binary.group(2).equals(op) ? reader : -1;
    }

    /** The {@code add} or {@code maximum} on a line {@link #soleReader} found, matched. */
    private static Matcher binary(String[] lines, int line) {
        Matcher binary = BINARY.matcher(lines[line]);
        if (!binary.matches()) {
            throw new IllegalStateException("not an add or maximum: " + lines[line]);
        }
        return binary;
    }

    private static String otherOperand(Matcher binary, String operand) {
        return binary.group(3).equals(operand) ? binary.group(4) : binary.group(3);
    }

    /** Finds what may follow a convolution: given its result, the position of its feature dimension and their count. */
    private interface EpilogueFinder {
        Epilogue find(String result, int featureDim, long features);
    }

    static String customCall(String line) {
        return customCall(line, Map.of(), (result, featureDim, features) -> null, TARGET);
    }

    /**
     * The custom call that replaces one convolution line, or null when the convolution is not one oneDNN runs.
     * An operand that is a transpose is read through: the call takes the transpose's operand with the
     * dimension numbers mapped, as XLA folds transposes into its own convolutions. The weights need this: they
     * are stored [spatial..., in, out] and transposed back to PyTorch's layout (WeightLayout), which XLA would
     * otherwise copy on every run.
     */
    private static String customCall(String line, Map<String, Transpose> transposes, EpilogueFinder epilogues, String target) {
        Matcher op = CONVOLUTION.matcher(line);
        if (!op.matches()) {
            return null;
        }
        String attributes = op.group(5);
        long[] lhsShape = shape(op.group(6));
        long[] rhsShape = shape(op.group(7));
        long[] outShape = shape(op.group(8));
        Matcher numbers = DIMENSION_NUMBERS.matcher(attributes);
        if (lhsShape == null || rhsShape == null || outShape == null || !numbers.find()) {
            return null;
        }
        int rank = lhsShape.length;
        int spatial = rank - 2;
        if (spatial < 1 || spatial > 3 || rhsShape.length != rank || outShape.length != rank) {
            return null;
        }
        int[] lhsDims = dimensionOrder(numbers.group(1), 'b', 'f', spatial);
        int[] rhsDims = dimensionOrder(numbers.group(2), 'o', 'i', spatial);
        int[] outDims = dimensionOrder(numbers.group(3), 'b', 'f', spatial);
        long[] strides = longArray(attributes, "window_strides", spatial, 1);
        long[] lhsDilation = longArray(attributes, "lhs_dilation", spatial, 1);
        long[] rhsDilation = longArray(attributes, "rhs_dilation", spatial, 1);
        long[][] padding = padding(attributes, spatial);
        long groups = scalar(attributes, "feature_group_count", 1);
        long batchGroups = scalar(attributes, "batch_group_count", 1);
        if (lhsDims == null || rhsDims == null || outDims == null || strides == null || lhsDilation == null || rhsDilation == null
                || padding == null || groups < 1 || batchGroups != 1 || attributes.contains("window_reversal")
                || Arrays.stream(lhsDilation).anyMatch(d -> d != 1) || Arrays.stream(padding[0]).anyMatch(p -> p < 0)
                || Arrays.stream(padding[1]).anyMatch(p -> p < 0)) {
            return null; // transposed (input-dilated), negatively padded or batch-grouped: XLA's own kernels run it
        }
        String lhs = op.group(3);
        String lhsType = op.group(6);
        String rhs = op.group(4);
        String rhsType = op.group(7);
        Transpose lhsTranspose = transposes.get(lhs);
        if (lhsTranspose != null) {
            lhs = lhsTranspose.operand();
            lhsType = lhsTranspose.operandType();
            lhsDims = through(lhsDims, lhsTranspose.permutation());
        }
        Transpose rhsTranspose = transposes.get(rhs);
        if (rhsTranspose != null) {
            rhs = rhsTranspose.operand();
            rhsType = rhsTranspose.operandType();
            rhsDims = through(rhsDims, rhsTranspose.permutation());
        }
        int[] lhsLayout = channelsLast(lhsDims);
        int[] outLayout = channelsLast(outDims);
        // [spatial..., in, out] from major to minor: out fastest, then in, then the spatial dimensions in reverse
        int[] rhsLayout = new int[rank];
        rhsLayout[0] = rhsDims[0];
        rhsLayout[1] = rhsDims[1];
        for (int s = 0; s < spatial; s++) {
            rhsLayout[2 + s] = rhsDims[rank - 1 - s];
        }
        Epilogue epilogue = epilogues.find(op.group(2), outDims[1], outShape[outDims[1]]);
        String config = "feature_group_count = " + groups + " : i64"
                + ", lhs_dims = " + i64s(lhsDims) + ", lhs_layout = " + i64s(lhsLayout)
                + ", out_dims = " + i64s(outDims) + ", out_layout = " + i64s(outLayout)
                + ", padding_high = " + i64s(padding[1]) + ", padding_low = " + i64s(padding[0])
                + ", rhs_dilation = " + i64s(rhsDilation) + ", rhs_dims = " + i64s(rhsDims) + ", rhs_layout = " + i64s(rhsLayout)
                + ", window_strides = " + i64s(strides);
        String operands = lhs + ", " + rhs;
        String operandTypes = lhsType + ", " + rhsType;
        String operandLayouts = layout(lhsLayout) + ", " + layout(rhsLayout);
        String result = op.group(2);
        if (epilogue != null) {
            operands += ", " + epilogue.bias();
            operandTypes += ", " + epilogue.biasType();
            operandLayouts += ", " + layout(new int[] {0});
            if (epilogue.residual() != null) {
                operands += ", " + epilogue.residual();
                operandTypes += ", " + op.group(8);
                operandLayouts += ", " + layout(outLayout);
            }
            result = epilogue.result();
            config += ", relu = " + (epilogue.relu() ? 1 : 0) + " : i64";
        }
        return op.group(1) + result + " = \"stablehlo.custom_call\"(" + operands + ") {"
                + "api_version = 4 : i32, backend_config = {" + config + "}, call_target_name = \"" + target + "\""
                + ", operand_layouts = [" + operandLayouts + "]"
                + ", result_layouts = [" + layout(outLayout) + "]} : (" + operandTypes + ") -> " + op.group(8);
    }

    /** Dimension positions in a transpose's result, as positions in its operand. */
    private static int[] through(int[] dims, int[] permutation) {
        int[] mapped = new int[dims.length];
        for (int k = 0; k < dims.length; k++) {
            mapped[k] = permutation[dims[k]];
        }
        return mapped;
    }

    /** Minor-to-major order with the feature dimension fastest, then the spatial ones in reverse, batch slowest. */
    private static int[] channelsLast(int[] dims) {
        int rank = dims.length;
        int[] layout = new int[rank];
        layout[0] = dims[1];
        for (int s = 0; s < rank - 2; s++) {
            layout[1 + s] = dims[rank - 1 - s];
        }
        layout[rank - 1] = dims[0];
        return layout;
    }

    /** [first, second, spatial 0, spatial 1, ...] positions from a dimension-numbers group such as "b, f, 0, 1". */
    private static int[] dimensionOrder(String group, char first, char second, int spatial) {
        String[] labels = group.split(",\\s*");
        if (labels.length != spatial + 2) {
            return null;
        }
        int[] order = new int[spatial + 2];
        Arrays.fill(order, -1);
        for (int position = 0; position < labels.length; position++) {
            String label = labels[position].trim();
            int slot;
            if (label.equals(String.valueOf(first))) {
                slot = 0;
            } else if (label.equals(String.valueOf(second))) {
                slot = 1;
            } else if (label.matches("\\d+") && Integer.parseInt(label) < spatial) {
                slot = 2 + Integer.parseInt(label);
            } else {
                return null;
            }
            if (order[slot] != -1) {
                return null;
            }
            order[slot] = position;
        }
        return order;
    }

    private static long[] shape(String type) {
        Matcher tensor = TENSOR.matcher(type);
        if (!tensor.matches()) {
            return null; // another element type, or a dynamic shape
        }
        String dims = tensor.group(1);
        return dims.isEmpty() ? new long[0]
                : Arrays.stream(dims.substring(0, dims.length() - 1).split("x")).mapToLong(Long::parseLong).toArray();
    }

    /** An {@code array<i64: ...>} attribute, the default for each element when it is absent, null when malformed. */
    private static long[] longArray(String attributes, String name, int length, long absent) {
        Matcher value = Pattern.compile("\\b" + name + " = array<i64(?:: ([-\\d, ]*))?>").matcher(attributes);
        if (!value.find()) {
            return attributes.contains(name + " =") ? null : filled(length, absent);
        }
        long[] values = value.group(1) == null ? new long[0]
                : Arrays.stream(value.group(1).split(",\\s*")).mapToLong(v -> Long.parseLong(v.trim())).toArray();
        return values.length == length ? values : null;
    }

    private static long scalar(String attributes, String name, long absent) {
        Matcher value = Pattern.compile("\\b" + name + " = (-?\\d+) : i64").matcher(attributes);
        return value.find() ? Long.parseLong(value.group(1)) : attributes.contains(name + " =") ? -1 : absent;
    }

    /** {low, high} per spatial dimension from {@code padding = dense<[[l, h], ...]>}; zeros when absent. */
    private static long[][] padding(String attributes, int spatial) {
        Matcher value = PADDING.matcher(attributes);
        if (!value.find()) {
            return attributes.contains("padding =") ? null : new long[][] {filled(spatial, 0), filled(spatial, 0)};
        }
        String text = value.group(1);
        if (!text.startsWith("[")) {
            long splat = Long.parseLong(text);
            return new long[][] {filled(spatial, splat), filled(spatial, splat)};
        }
        long[] flat = Arrays.stream(text.replaceAll("[\\[\\]]", "").split(",\\s*")).mapToLong(v -> Long.parseLong(v.trim())).toArray();
        if (flat.length != 2 * spatial) {
            return null;
        }
        long[] low = new long[spatial];
        long[] high = new long[spatial];
        for (int s = 0; s < spatial; s++) {
            low[s] = flat[2 * s];
            high[s] = flat[2 * s + 1];
        }
        return new long[][] {low, high};
    }

    private static long[] filled(int length, long value) {
        long[] values = new long[length];
        Arrays.fill(values, value);
        return values;
    }

    private static String i64s(int[] values) {
        return "array<i64: " + joined(values) + ">";
    }

    private static String i64s(long[] values) {
        return "array<i64: " + LongStream.of(values).mapToObj(String::valueOf).collect(Collectors.joining(", ")) + ">";
    }

    private static String layout(int[] minorToMajor) {
        return "dense<[" + joined(minorToMajor) + "]> : tensor<" + minorToMajor.length + "xindex>";
    }

    private static String joined(int[] values) {
        return IntStream.of(values).mapToObj(String::valueOf).collect(Collectors.joining(", "));
    }

    static native long handlerAddress();

    private static native String libraryVersion();
}
