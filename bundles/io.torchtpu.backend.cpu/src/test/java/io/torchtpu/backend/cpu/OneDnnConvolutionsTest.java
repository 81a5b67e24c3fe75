package io.torchtpu.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * oneDNN's convolutions inside the real XLA CPU plugin: each rewritten program computes what XLA's own
 * convolution computes for the same text (XLA's convolutions are checked against libtorch by the lowering
 * tests), over layouts, strides, padding, dilation and groups.
 */
class OneDnnConvolutionsTest {
    private static PjrtPlugin plugin;
    private static PjrtRuntime runtime;

    @BeforeAll
    static void start() {
        plugin = PjrtPlugin.loadDefaultCpu().initialize();
        runtime = new PjrtRuntime(plugin.createClient(Map.of("asynchronous", false)));
        assertTrue(OneDnnConvolutions.register(plugin, null, "cpu-test").isPresent(),
                "oneDNN is installed by the build (fetch-onednn.sh) and must register");
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static String convolution(String lhsType, String rhsType, String outType, String dims, String window, long groups) {
        return "module @conv {\n"
                + "  func.func public @main(%x: " + lhsType + ", %w: " + rhsType + ") -> " + outType + " {\n"
                + "    %0 = \"stablehlo.convolution\"(%x, %w) {dimension_numbers = #stablehlo.conv<" + dims + ">, " + window
                + ", feature_group_count = " + groups + " : i64, batch_group_count = 1 : i64} : (" + lhsType + ", " + rhsType + ") -> " + outType + "\n"
                + "    %1 = stablehlo.add %0, %0 : " + outType + "\n"
                + "    return %1 : " + outType + "\n"
                + "  }\n"
                + "}\n";
    }

    private static HostTensor random(long[] shape, long seed) {
        Random random = new Random(seed);
        float[] values = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return HostTensor.ofFloats(values, shape);
    }

    private static void assertSameOutputs(Executable reference, Executable candidate, HostTensor... inputs) {
        float[] expected = reference.run(List.of(inputs)).get(0).toFloatArray();
        float[] actual = candidate.run(List.of(inputs)).get(0).toFloatArray();
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    private static long[] shape(String type) {
        String dims = type.substring("tensor<".length(), type.length() - "xf32>".length());
        return Arrays.stream(dims.split("x")).mapToLong(Long::parseLong).toArray();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "NCHW 3x3 padded; tensor<2x16x9x9xf32>; tensor<24x16x3x3xf32>; tensor<2x24x9x9xf32>; [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]; "
                + "window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>; 1",
        "NCHW batch 5, sliced unevenly across the pool's threads (enough work for a slice each); tensor<5x32x16x16xf32>; tensor<32x32x3x3xf32>; tensor<5x32x16x16xf32>; "
                + "[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]; window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>; 1",
        "batch 1, sliced by result rows: dilated 3x3 stride 2 uneven padding; tensor<1x64x65x30xf32>; tensor<64x64x3x3xf32>; tensor<1x64x32x14xf32>; "
                + "[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]; window_strides = array<i64: 2, 2>, padding = dense<[[2, 1], [1, 0]]> : tensor<2x2xi64>, "
                + "rhs_dilation = array<i64: 2, 2>; 1",
        "batch 1, padding wider than the input (with 4 slices one would read padding only, so none); tensor<1x256x1x16xf32>; tensor<256x256x3x3xf32>; "
                + "tensor<1x256x5x16xf32>; [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]; window_strides = array<i64: 1, 1>, "
                + "padding = dense<[[3, 3], [1, 1]]> : tensor<2x2xi64>; 1",
        "NCHW 7x7 stride 2 uneven padding; tensor<3x3x20x18xf32>; tensor<8x3x7x7xf32>; tensor<3x8x10x9xf32>; [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]; "
                + "window_strides = array<i64: 2, 2>, padding = dense<[[3, 2], [3, 3]]> : tensor<2x2xi64>; 1",
        "NHWC with HWIO weights, dilated; tensor<2x12x11x5xf32>; tensor<3x3x5x7xf32>; tensor<2x8x7x7xf32>; [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]; "
                + "window_strides = array<i64: 1, 1>, padding = dense<[[0, 0], [0, 0]]> : tensor<2x2xi64>, rhs_dilation = array<i64: 2, 2>; 1",
        "depthwise, stride 2; tensor<2x32x8x8xf32>; tensor<32x1x3x3xf32>; tensor<2x32x4x4xf32>; [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]; "
                + "window_strides = array<i64: 2, 2>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>; 32",
        "two groups; tensor<1x8x6x6xf32>; tensor<12x4x1x1xf32>; tensor<1x12x6x6xf32>; [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]; "
                + "window_strides = array<i64: 1, 1>; 2",
        "1-D; tensor<4x6x30xf32>; tensor<10x6x5xf32>; tensor<4x10x14xf32>; [b, f, 0]x[o, i, 0]->[b, f, 0]; "
                + "window_strides = array<i64: 2>, padding = dense<[[1, 1]]> : tensor<1x2xi64>; 1",
        "3-D; tensor<1x4x5x6x7xf32>; tensor<3x4x3x3x3xf32>; tensor<1x3x5x6x7xf32>; [b, f, 0, 1, 2]x[o, i, 0, 1, 2]->[b, f, 0, 1, 2]; "
                + "window_strides = array<i64: 1, 1, 1>, padding = dense<1> : tensor<3x2xi64>; 1",
    })
    void computesWhatXlasConvolutionComputes(String name, String lhsType, String rhsType, String outType, String dims, String window,
            long groups) {
        String program = convolution(lhsType, rhsType, outType, dims, window, groups);
        String rewritten = OneDnnConvolutions.rewrite(program);
        assertNotEquals(program, rewritten, name + ": rewritten");
        assertTrue(rewritten.contains("@main") && rewritten.contains("\"" + OneDnnConvolutions.TARGET + "\""), rewritten);
        HostTensor x = random(shape(lhsType), 1);
        HostTensor w = random(shape(rhsType), 2);
        float[] expected;
        float[] actual;
        try (Executable xla = runtime.compile(program, Map.of()); Executable oneDnn = runtime.compile(rewritten, Map.of())) {
            expected = xla.run(List.of(x, w)).get(0).toFloatArray();
            actual = oneDnn.run(List.of(x, w)).get(0).toFloatArray();
        }
        assertEquals(expected.length, actual.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i])));
        }
        assertTrue(worst < 1e-4, name + ": worst relative difference " + worst);
    }

    @Test
    void readsThroughTransposedOperands() {
        // weights stored [kh, kw, in, out] and activations NHWC, each transposed to PyTorch's layout before the convolution
        String program = """
                module @conv {
                  func.func public @main(%x: tensor<2x9x9x16xf32>, %w: tensor<3x3x16x24xf32>) -> tensor<2x24x9x9xf32> {
                    %0 = "stablehlo.transpose"(%x) {permutation = array<i64: 0, 3, 1, 2>} : (tensor<2x9x9x16xf32>) -> tensor<2x16x9x9xf32>
                    %1 = "stablehlo.transpose"(%w) {permutation = array<i64: 3, 2, 0, 1>} : (tensor<3x3x16x24xf32>) -> tensor<24x16x3x3xf32>
                    %2 = "stablehlo.convolution"(%0, %1) {dimension_numbers = #stablehlo.conv<[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]>, window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>, feature_group_count = 1 : i64, batch_group_count = 1 : i64} : (tensor<2x16x9x9xf32>, tensor<24x16x3x3xf32>) -> tensor<2x24x9x9xf32>
                    return %2 : tensor<2x24x9x9xf32>
                  }
                }
                """;
        String rewritten = OneDnnConvolutions.rewrite(program);
        assertTrue(rewritten.contains("\"stablehlo.custom_call\"(%x, %w)"), rewritten);
        assertTrue(rewritten.contains("rhs_dims = array<i64: 3, 2, 0, 1>") && rewritten.contains("rhs_layout = array<i64: 3, 2, 1, 0>"),
                "the weights are read in their stored, row-major layout: " + rewritten);
        assertRewriteComputesTheSame(program, rewritten, random(new long[] {2, 9, 9, 16}, 5), random(new long[] {3, 3, 16, 24}, 6));
    }

    private static final String BIAS_RELU = """
            module @conv {
              func.func public @main(%x: tensor<2x16x9x9xf32>, %w: tensor<3x3x16x24xf32>, %b: tensor<24xf32>) -> tensor<2x24x9x9xf32> {
                %1 = "stablehlo.transpose"(%w) {permutation = array<i64: 3, 2, 0, 1>} : (tensor<3x3x16x24xf32>) -> tensor<24x16x3x3xf32>
                %2 = "stablehlo.convolution"(%x, %1) {dimension_numbers = #stablehlo.conv<[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]>, window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>, feature_group_count = 1 : i64, batch_group_count = 1 : i64} : (tensor<2x16x9x9xf32>, tensor<24x16x3x3xf32>) -> tensor<2x24x9x9xf32>
                %3 = "stablehlo.broadcast_in_dim"(%b) {broadcast_dimensions = array<i64: 1>} : (tensor<24xf32>) -> tensor<2x24x9x9xf32>
                %4 = "stablehlo.add"(%2, %3) : (tensor<2x24x9x9xf32>, tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32>
                %5 = "stablehlo.constant"() {value = dense<0.0> : tensor<2x24x9x9xf32>} : () -> tensor<2x24x9x9xf32>
                %6 = "stablehlo.maximum"(%4, %5) : (tensor<2x24x9x9xf32>, tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32>
                RETURN
              }
            }
            """;

    /** XLA's compile of the program and of its rewrite compute the same for these inputs. */
    private static void assertRewriteComputesTheSame(String program, String rewritten, HostTensor... inputs) {
        try (Executable xla = runtime.compile(program, Map.of()); Executable oneDnn = runtime.compile(rewritten, Map.of())) {
            assertSameOutputs(xla, oneDnn, inputs);
        }
    }

    /** Inputs of {@link #BIAS_RELU}. */
    private static HostTensor[] biasReluInputs() {
        return new HostTensor[] {random(new long[] {2, 16, 9, 9}, 7), random(new long[] {3, 3, 16, 24}, 8), random(new long[] {24}, 9)};
    }

    @Test
    void takesOverTheBiasAndReluThatFollow() {
        String program = BIAS_RELU.replace("RETURN", "return %6 : tensor<2x24x9x9xf32>");
        String rewritten = OneDnnConvolutions.rewrite(program);
        assertTrue(rewritten.contains("%6 = \"stablehlo.custom_call\"(%x, %w, %b)") && rewritten.contains("relu = 1 : i64"), rewritten);
        assertFalse(rewritten.contains("stablehlo.maximum") || rewritten.contains("stablehlo.add"), rewritten);
        assertRewriteComputesTheSame(program, rewritten, biasReluInputs());
    }

    @ParameterizedTest(name = "residual defined {0} the convolution")
    @CsvSource({"before, true", "after, false"})
    void takesOverAResidualDefinedBeforeTheConvolution(String where, boolean fused) {
        String residual = "%r = \"stablehlo.exponential\"(%y) : (tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32>";
        String program = """
                module @conv {
                  func.func public @main(%x: tensor<2x16x9x9xf32>, %w: tensor<3x3x16x24xf32>, %b: tensor<24xf32>, %y: tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32> {
                    BEFORE
                    %1 = "stablehlo.transpose"(%w) {permutation = array<i64: 3, 2, 0, 1>} : (tensor<3x3x16x24xf32>) -> tensor<24x16x3x3xf32>
                    %2 = "stablehlo.convolution"(%x, %1) {dimension_numbers = #stablehlo.conv<[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]>, window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>, feature_group_count = 1 : i64, batch_group_count = 1 : i64} : (tensor<2x16x9x9xf32>, tensor<24x16x3x3xf32>) -> tensor<2x24x9x9xf32>
                    AFTER
                    %3 = "stablehlo.broadcast_in_dim"(%b) {broadcast_dimensions = array<i64: 1>} : (tensor<24xf32>) -> tensor<2x24x9x9xf32>
                    %4 = "stablehlo.add"(%2, %3) : (tensor<2x24x9x9xf32>, tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32>
                    %5 = "stablehlo.add"(%r, %4) : (tensor<2x24x9x9xf32>, tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32>
                    %6 = "stablehlo.constant"() {value = dense<0.0> : tensor<2x24x9x9xf32>} : () -> tensor<2x24x9x9xf32>
                    %7 = "stablehlo.maximum"(%5, %6) : (tensor<2x24x9x9xf32>, tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32>
                    return %7 : tensor<2x24x9x9xf32>
                  }
                }
                """.replace("BEFORE", where.equals("before") ? residual : "").replace("AFTER", where.equals("after") ? residual : "");
        String rewritten = OneDnnConvolutions.rewrite(program);
        String call = fused ? "%7 = \"stablehlo.custom_call\"(%x, %w, %b, %r)" : "%4 = \"stablehlo.custom_call\"(%x, %w, %b)";
        assertTrue(rewritten.contains(call), rewritten);
        assertEquals(fused, !rewritten.contains("stablehlo.maximum"), rewritten);
        assertRewriteComputesTheSame(program, rewritten, random(new long[] {2, 16, 9, 9}, 10), random(new long[] {3, 3, 16, 24}, 11),
                random(new long[] {24}, 12), random(new long[] {2, 24, 9, 9}, 13));
    }

    /** What the call takes over when a value between the convolution and the ReLU is read elsewhere too. */
    @ParameterizedTest(name = "{0} read elsewhere")
    @CsvSource(delimiter = ';', value = {
        "%4; %4 = \"stablehlo.custom_call\"(%x, %w, %b); relu = 0 : i64", // the biased sum: the call adds the bias, XLA the ReLU
        "%2; %2 = \"stablehlo.custom_call\"(%x, %w); feature_group_count", // the convolution: XLA adds the bias too
    })
    void takesOverOnlyWhatNothingElseReads(String alsoRead, String call, String config) {
        String program = BIAS_RELU.replace("RETURN", """
                %7 = "stablehlo.add"(%6, ALSO) : (tensor<2x24x9x9xf32>, tensor<2x24x9x9xf32>) -> tensor<2x24x9x9xf32>
                    return %7 : tensor<2x24x9x9xf32>""".replace("ALSO", alsoRead));
        String rewritten = OneDnnConvolutions.rewrite(program);
        assertTrue(rewritten.contains(call) && rewritten.contains(config) && rewritten.contains("stablehlo.maximum"), rewritten);
        assertEquals(alsoRead.equals("%2"), !rewritten.contains("relu ="), rewritten);
        assertRewriteComputesTheSame(program, rewritten, biasReluInputs());
    }

    @Test
    void leavesWhatItCannotRunToXla() {
        String transposed = "    %0 = \"stablehlo.convolution\"(%x, %w) {dimension_numbers = #stablehlo.conv<[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]>, "
                + "window_strides = array<i64: 1, 1>, lhs_dilation = array<i64: 2, 2>, feature_group_count = 1 : i64, batch_group_count = 1 : i64} "
                + ": (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>";
        assertNull(OneDnnConvolutions.customCall(transposed), "input-dilated (transposed) convolution");
        assertNull(OneDnnConvolutions.customCall(transposed.replace("lhs_dilation = array<i64: 2, 2>", "padding = dense<[[-1, 0], [0, 0]]> : tensor<2x2xi64>")),
                "negative padding");
        assertNull(OneDnnConvolutions.customCall(transposed.replace("lhs_dilation = array<i64: 2, 2>", "lhs_dilation = array<i64: 1, 1>")
                .replace("f32", "bf16")), "bf16");
        assertNotNull(OneDnnConvolutions.customCall(transposed.replace("lhs_dilation = array<i64: 2, 2>", "lhs_dilation = array<i64: 1, 1>")
                .replace("tensor<1x3x5x5xf32>", "tensor<1x3x2x2xf32>")));
        String noConvolution = "module @m {\n}\n";
        assertSame(noConvolution, OneDnnConvolutions.rewrite(noConvolution));
    }

    /**
     * A linear layer as the lowering emits it: the weights stored {@code [in, out]}, transposed to PyTorch's
     * {@code [out, in]} and back, then a product, a bias, a residual and a ReLU.
     */
    private static String linear(String x, String stored, String out) {
        long[] weights = shape(stored);
        int rank = shape(out).length;
        String torch = "tensor<" + weights[1] + "x" + weights[0] + "xf32>";
        String bias = "tensor<" + weights[1] + "xf32>";
        return """
                module @linear {
                  func.func public @main(%x: $X, %w: $W, %b: $B, %r: $O) -> $O {
                    %0 = "stablehlo.transpose"(%w) {permutation = array<i64: 1, 0>} : ($W) -> $T
                    %1 = "stablehlo.transpose"(%0) {permutation = array<i64: 1, 0>} : ($T) -> $W
                    %2 = "stablehlo.dot_general"(%x, %1) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [$LAST], rhs_contracting_dimensions = [0]>} : ($X, $W) -> $O
                    %3 = "stablehlo.broadcast_in_dim"(%b) {broadcast_dimensions = array<i64: $LAST>} : ($B) -> $O
                    %4 = "stablehlo.add"(%2, %3) : ($O, $O) -> $O
                    %5 = "stablehlo.add"(%4, %r) : ($O, $O) -> $O
                    %6 = "stablehlo.constant"() {value = dense<0.0> : $O} : () -> $O
                    %7 = "stablehlo.maximum"(%5, %6) : ($O, $O) -> $O
                    return %7 : $O
                  }
                }
                """.replace("$X", x).replace("$W", stored).replace("$T", torch).replace("$B", bias).replace("$O", out)
                .replace("$LAST", String.valueOf(rank - 1));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "tokens, bias, residual and ReLU in the call; tensor<2x48x64xf32>; tensor<64x96xf32>; tensor<2x48x96xf32>; %7 = \"stablehlo.custom_call\"",
        "batch 1, rows sliced across the pool (8M multiply-adds); tensor<1x128x256xf32>; tensor<256x256xf32>; tensor<1x128x256xf32>; %7 = \"stablehlo.custom_call\"",
        "rows of a matrix, the epilogue left to XLA; tensor<40x64xf32>; tensor<64x32xf32>; tensor<40x32xf32>; = \"stablehlo.custom_call\"",
    })
    void runsLinearLayersAsOneByOneConvolutions(String name, String x, String stored, String out, String call) {
        int rank = shape(out).length;
        String program = linear(x, stored, out);
        String rewritten = OneDnnConvolutions.rewrite(program);
        assertTrue(rewritten.contains(call) && !rewritten.contains("dot_general"), rewritten);
        assertEquals(rank == 3, !rewritten.contains("stablehlo.maximum"), rewritten);
        long[] weights = shape(stored);
        assertRewriteComputesTheSame(program, rewritten, random(shape(x), 20), random(weights, 21), random(new long[] {weights[1]}, 22),
                random(shape(out), 23));
    }

    @Test
    void leavesLargeBatchedOrOtherProductsToXla() {
        long over = OneDnnConvolutions.MAX_LINEAR_WEIGHT_BYTES / Float.BYTES / 256 * 2;
        String large = linear("tensor<1x8x256xf32>", "tensor<256x" + over + "xf32>", "tensor<1x8x" + over + "xf32>");
        assertSame(large, OneDnnConvolutions.rewrite(large), "weights over " + OneDnnConvolutions.MAX_LINEAR_WEIGHT_BYTES + " bytes");
        String batched = """
                module @attention {
                  func.func public @main(%q: tensor<4x16x8xf32>, %k: tensor<4x8x16xf32>) -> tensor<4x16x16xf32> {
                    %0 = "stablehlo.dot_general"(%q, %k) {dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [2], rhs_contracting_dimensions = [1]>} : (tensor<4x16x8xf32>, tensor<4x8x16xf32>) -> tensor<4x16x16xf32>
                    return %0 : tensor<4x16x16xf32>
                  }
                }
                """;
        assertSame(batched, OneDnnConvolutions.rewrite(batched), "a product with batch dimensions");
        String transposedWeights = linear("tensor<2x8x16xf32>", "tensor<16x16xf32>", "tensor<2x8x16xf32>")
                .replace("rhs_contracting_dimensions = [0]", "rhs_contracting_dimensions = [1]");
        assertSame(transposedWeights, OneDnnConvolutions.rewrite(transposedWeights), "weights contracted on their second dimension");
    }

    /**
     * A second copy of the handler library (an updated bundle's) cannot take the name the first copy holds: the plugin
     * would keep calling the first. The copy gets the next free name, and a program calling that name runs.
     */
    @Test
    void aNameHeldByAnotherCopyOfTheHandlerIsPassedOverForTheNextOne() {
        long address = OneDnnConvolutions.handlerAddress();
        String once = "torchtpu.test.once";
        assertEquals(once, plugin.registerFfiHandlerOnce(once, "cpu", address));
        assertEquals(once, plugin.registerFfiHandlerOnce(once, "cpu", address), "the same address keeps its name");

        String taken = "torchtpu.test.taken";
        System.setProperty("torchtpu.pjrt.ffi " + plugin.path() + " cpu " + taken, "1"); // as another copy leaves it
        assertEquals(taken + ".2", plugin.registerFfiHandlerOnce(taken, "cpu", address));
        String program = convolution("tensor<2x16x9x9xf32>", "tensor<24x16x3x3xf32>", "tensor<2x24x9x9xf32>", "[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]",
                "window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>", 1);
        String rewritten = OneDnnConvolutions.rewrite(program, taken + ".2");
        assertTrue(rewritten.contains("call_target_name = \"" + taken + ".2\""), rewritten);
        HostTensor x = random(shape("tensor<2x16x9x9xf32>"), 3);
        HostTensor w = random(shape("tensor<24x16x3x3xf32>"), 4);
        try (Executable xla = runtime.compile(program, Map.of()); Executable oneDnn = runtime.compile(rewritten, Map.of())) {
            assertArrayEquals(xla.run(List.of(x, w)).get(0).toFloatArray(), oneDnn.run(List.of(x, w)).get(0).toFloatArray(), 1e-3f);
        }
    }

    @Test
    void aHandlerWithoutAnAddressOrNameIsRefusedBeforeTheNativeCall() {
        IllegalArgumentException noAddress = assertThrows(IllegalArgumentException.class,
                () -> plugin.registerFfiHandler(OneDnnConvolutions.TARGET, "cpu", 0));
        assertTrue(noAddress.getMessage().contains("the function address is 0"), noAddress.getMessage());
        IllegalArgumentException noName = assertThrows(IllegalArgumentException.class, () -> plugin.registerFfiHandler(" ", "cpu", 1));
        assertTrue(noName.getMessage().contains("needs a target name and a platform"), noName.getMessage());
    }

    @Test
    void theTuningKeepsWhicheverCompileComputesTheSame() {
        String program = convolution("tensor<8x16x16x16xf32>", "tensor<16x16x3x3xf32>", "tensor<8x16x16x16xf32>",
                "[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]",
                "window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>", 1);
        OneDnnConvolutions oneDnn = OneDnnConvolutions.register(plugin, null, "cpu-test").orElseThrow();
        KernelLibraryTuning tuning = new KernelLibraryTuning(runtime, "cpu-test", oneDnn);
        assertTrue(tuning.identity().endsWith(" onednn-" + oneDnn.version()), tuning.identity());
        HostTensor x = random(new long[] {8, 16, 16, 16}, 3);
        HostTensor w = random(new long[] {16, 16, 3, 3}, 4);
        try (Executable plain = runtime.compile(program, Map.of()); Executable tuned = tuning.compile(program, Map.of())) {
            assertSameOutputs(plain, tuned, x, w);
        }
    }

    @Test
    void runsFromManyThreadsAtOnceComputeWhatOneRunComputes() throws Exception {
        // each call slices its batch across XLA's pool and every thread brings its own scratchpad: calls from
        // several threads at once, on the same primitives, must not see each other's slices or scratch data
        String program = convolution("tensor<6x32x24x24xf32>", "tensor<64x32x3x3xf32>", "tensor<6x64x12x12xf32>",
                "[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]",
                "window_strides = array<i64: 2, 2>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>", 1);
        List<HostTensor> inputs = List.of(random(new long[] {6, 32, 24, 24}, 5), random(new long[] {64, 32, 3, 3}, 6));
        try (Executable xla = runtime.compile(program, Map.of());
                Executable oneDnn = runtime.compile(OneDnnConvolutions.rewrite(program), Map.of())) {
            float[] expected = xla.run(inputs).get(0).toFloatArray();
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    results.add(callers.submit(() -> oneDnn.run(inputs).get(0).toFloatArray()));
                }
                for (Future<float[]> result : results) {
                    float[] actual = result.get();
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), "element " + i);
                    }
                }
            } finally {
                callers.shutdownNow();
            }
        }
    }

    /**
     * A 1x1 convolution computed as a matrix product over channels (%4), as the lowering computes some
     * convolutions for XLA's kernels, with the plain convolution beside it marked as its alternative (%5); the
     * bias and ReLU read the product.
     */
    private static final String WITH_ALTERNATIVE = """
            module @conv {
              func.func public @main(%x: tensor<2x8x5x5xf32>, %w: tensor<4x8x1x1xf32>, %b: tensor<4xf32>) -> tensor<2x4x5x5xf32> {
                %1 = "stablehlo.transpose"(%x) {permutation = array<i64: 0, 2, 3, 1>} : (tensor<2x8x5x5xf32>) -> tensor<2x5x5x8xf32>
                %2 = "stablehlo.reshape"(%w) : (tensor<4x8x1x1xf32>) -> tensor<4x8xf32>
                %3 = "stablehlo.dot_general"(%1, %2) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [3], rhs_contracting_dimensions = [1]>} : (tensor<2x5x5x8xf32>, tensor<4x8xf32>) -> tensor<2x5x5x4xf32>
                %4 = "stablehlo.transpose"(%3) {permutation = array<i64: 0, 3, 1, 2>} : (tensor<2x5x5x4xf32>) -> tensor<2x4x5x5xf32>
                %5 = "stablehlo.convolution"(%x, %w) {dimension_numbers = #stablehlo.conv<[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]>, window_strides = array<i64: 1, 1>, PADDING, feature_group_count = 1 : i64, batch_group_count = 1 : i64, torchtpu.alternative_to = "%4"} : (tensor<2x8x5x5xf32>, tensor<4x8x1x1xf32>) -> tensor<2x4x5x5xf32>
                %6 = "stablehlo.broadcast_in_dim"(%b) {broadcast_dimensions = array<i64: 1>} : (tensor<4xf32>) -> tensor<2x4x5x5xf32>
                %7 = "stablehlo.add"(%4, %6) : (tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
                %8 = "stablehlo.constant"() {value = dense<0.0> : tensor<2x4x5x5xf32>} : () -> tensor<2x4x5x5xf32>
                %9 = "stablehlo.maximum"(%7, %8) : (tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>) -> tensor<2x4x5x5xf32>
                return %9 : tensor<2x4x5x5xf32>
              }
            }
            """;

    @Test
    void takesTheAlternativeToAFormMadeForXlasKernels() {
        String program = WITH_ALTERNATIVE.replace("PADDING", "padding = dense<0> : tensor<2x2xi64>");
        String rewritten = OneDnnConvolutions.rewrite(program);
        // the call reads the plain convolution's operands and takes over the bias and ReLU that read the product
        assertTrue(rewritten.contains("%9 = \"stablehlo.custom_call\"(%x, %w, %b)") && rewritten.contains("relu = 1 : i64"), rewritten);
        assertFalse(rewritten.contains("stablehlo.add") || rewritten.contains("stablehlo.convolution"), rewritten);
        // XLA itself compiles the marked program, the alternative unread
        assertRewriteComputesTheSame(program, rewritten, random(new long[] {2, 8, 5, 5}, 10), random(new long[] {4, 8, 1, 1}, 11),
                random(new long[] {4}, 12));
    }

    @Test
    void leavesTheFormForXlaWhereOneDnnCannotRunTheAlternative() {
        // negative padding (cropping) is not oneDNN's: the alternative stays unread, the product stays read
        String program = WITH_ALTERNATIVE.replace("PADDING", "padding = dense<[[-1, 1], [0, 0]]> : tensor<2x2xi64>");
        assertSame(program, OneDnnConvolutions.rewrite(program));
    }
}
