package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.FamilyHarness.optional;
import static io.torchtpu.lowering.aten.FamilyHarness.sample;
import static io.torchtpu.lowering.aten.FamilyHarness.values;
import static io.torchtpu.lowering.aten.FamilyHarness.withEdges;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Convolutions and pooling against libtorch: strides, paddings, dilations, groups, ceil_mode; one compile per op. */
class ConvolutionNumericTest {
    private static FamilyHarness harness;

    @BeforeAll
    static void start() {
        harness = new FamilyHarness("convolution and pooling", Map.of());
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    /** One 2-d convolution case: input and weight shapes, stride, padding, dilation, groups, bias. */
    private record Conv(long[] input, long[] weight, long[] stride, long[] padding, long[] dilation, long groups, boolean bias) {
        String describe(DType dtype) {
            return dtype + " in " + Arrays.toString(input) + " w " + Arrays.toString(weight) + " s " + Arrays.toString(stride) + " p "
                    + Arrays.toString(padding) + " d " + Arrays.toString(dilation) + " g " + groups + (bias ? " bias" : "");
        }
    }

    private static long[] s(long... values) {
        return values;
    }

    private static final List<Conv> CONVS_2D = List.of(
            new Conv(s(2, 3, 8, 8), s(4, 3, 3, 3), s(1, 1), s(1, 1), s(1, 1), 1, true),
            new Conv(s(1, 4, 9, 7), s(6, 2, 3, 3), s(2, 2), s(0, 0), s(1, 1), 2, false),
            new Conv(s(2, 3, 10, 10), s(5, 3, 3, 3), s(2, 1), s(2, 1), s(2, 2), 1, true),
            new Conv(s(1, 8, 7, 7), s(8, 1, 3, 3), s(2, 2), s(1, 1), s(1, 1), 8, true), // depthwise, as in MobileNetV2
            new Conv(s(2, 16, 5, 5), s(8, 16, 1, 1), s(1, 1), s(0, 0), s(1, 1), 1, false), // pointwise
            new Conv(s(1, 3, 16, 16), s(4, 3, 7, 7), s(2, 2), s(3, 3), s(1, 1), 1, false), // the ResNet stem
            new Conv(s(1, 6, 6, 5), s(4, 3, 2, 3), s(3, 2), s(1, 0), s(1, 2), 2, true),
            // kernels that cover more positions than the input has: lowered as a product over patches
            new Conv(s(2, 16, 2, 2), s(8, 16, 3, 3), s(1, 1), s(1, 1), s(1, 1), 1, true), // ResNet's last stage on 64x64 images
            new Conv(s(1, 4, 3, 2), s(5, 4, 3, 4), s(2, 1), s(2, 1), s(1, 1), 1, false),
            new Conv(s(1, 3, 2, 2), s(2, 3, 3, 3), s(1, 1), s(2, 2), s(2, 2), 1, true),
            // depthwise, lowered as a sum of shifted inputs: strided, dilated, uneven kernels; then a channel
            // multiplier of 2, which stays a grouped convolution
            new Conv(s(2, 6, 9, 8), s(6, 1, 3, 3), s(2, 2), s(1, 1), s(1, 1), 6, true),
            new Conv(s(1, 5, 8, 9), s(5, 1, 2, 3), s(1, 2), s(2, 1), s(2, 1), 5, false),
            new Conv(s(1, 4, 6, 6), s(8, 1, 3, 3), s(1, 1), s(1, 1), s(1, 1), 4, true),
            // strided over few channels, lowered with the stride folded into the channels: an odd size whose last
            // rows no window reaches, uneven strides and padding, a kernel smaller than the stride, and the
            // MobileNetV2 stem
            new Conv(s(2, 2, 11, 11), s(3, 2, 2, 2), s(2, 2), s(0, 0), s(1, 1), 1, true),
            new Conv(s(1, 1, 13, 10), s(4, 1, 5, 3), s(3, 2), s(2, 1), s(1, 1), 1, false),
            new Conv(s(2, 3, 9, 9), s(5, 3, 1, 1), s(2, 2), s(0, 0), s(1, 1), 1, true),
            new Conv(s(2, 3, 16, 16), s(8, 3, 3, 3), s(2, 2), s(1, 1), s(1, 1), 1, false));

    private static List<HostTensor> convInputs(Conv conv, DType dtype, long seed) {
        List<HostTensor> inputs = new ArrayList<>(List.of(values(dtype, seed, conv.input()), values(dtype, seed + 1, conv.weight())));
        if (conv.bias()) {
            inputs.add(values(dtype, seed + 2, conv.weight()[0]));
        }
        return inputs;
    }

    @Test
    void convolutions() {
        List<Sample> core = new ArrayList<>();
        List<Sample> conv2d = new ArrayList<>();
        long seed = 1000;
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16, DType.F16)) {
            // every case in f32; the other dtypes on a plain, a strided grouped and a depthwise one (CI time)
            for (Conv conv : dtype == DType.F32 ? CONVS_2D : List.of(CONVS_2D.get(0), CONVS_2D.get(1), CONVS_2D.get(3), CONVS_2D.get(7))) {
                List<HostTensor> inputs = convInputs(conv, dtype, seed += 3);
                Map<String, Object> attributes = Map.of("stride", conv.stride(), "padding", conv.padding(), "dilation", conv.dilation(),
                        "transposed", false, "output_padding", s(0, 0), "groups", conv.groups());
                core.add(sample(conv.describe(dtype), inputs, attributes, t -> torch.convolution(t.get(0), t.get(1), optional(t, 2),
                        conv.stride(), conv.padding(), conv.dilation(), false, s(0, 0), conv.groups())));
                if (dtype != DType.F32) {
                    continue; // the composite form decodes its attributes the same way; f32 covers it
                }
                conv2d.add(sample(conv.describe(dtype), inputs, Map.of("stride", conv.stride(), "padding", conv.padding(),
                        "dilation", conv.dilation(), "groups", conv.groups()), t -> torch.conv2d(t.get(0), t.get(1), optional(t, 2),
                        conv.stride(), conv.padding(), conv.dilation(), conv.groups())));
            }
        }
        // defaults left out, a single int for every spatial dimension, and an unbatched input
        List<HostTensor> plain = List.of(values(DType.F32, 1100, 2, 3, 6, 6), values(DType.F32, 1101, 4, 3, 3, 3));
        conv2d.add(sample("defaults", plain, Map.of(), t -> torch.conv2d(t.get(0), t.get(1))));
        conv2d.add(sample("int stride and padding", plain, Map.of("stride", 2L, "padding", 1L),
                t -> torch.conv2d(t.get(0), t.get(1), new org.bytedeco.pytorch.TensorOptional(), s(2), s(1), s(1), 1)));
        conv2d.add(sample("unbatched", List.of(values(DType.F32, 1102, 3, 6, 6), values(DType.F32, 1103, 4, 3, 3, 3)),
                Map.of("padding", s(1, 1)), t -> torch.conv2d(t.get(0), t.get(1), new org.bytedeco.pytorch.TensorOptional(), s(1), s(1, 1), s(1), 1)));
        conv2d.add(sample("unbatched depthwise", List.of(values(DType.F32, 1106, 4, 5, 5), values(DType.F32, 1107, 4, 1, 3, 3)),
                Map.of("padding", s(1, 1), "groups", 4L), t -> torch.conv2d(t.get(0), t.get(1), new org.bytedeco.pytorch.TensorOptional(), s(1), s(1, 1), s(1), 4)));
        conv2d.add(sample("unbatched, kernel over input", List.of(values(DType.F32, 1104, 16, 2, 2), values(DType.F32, 1105, 8, 16, 3, 3)),
                Map.of("padding", s(1, 1)), t -> torch.conv2d(t.get(0), t.get(1), new org.bytedeco.pytorch.TensorOptional(), s(1), s(1, 1), s(1), 1)));
        harness.check("aten::convolution", core);
        harness.check("aten::conv2d", conv2d);

        List<Sample> padded = new ArrayList<>();
        for (long[] kernel : new long[][] {{3, 3}, {4, 2}, {2, 5}}) {
            for (long dilation : new long[] {1, 2}) {
                for (String mode : List.of("same", "valid")) {
                    List<HostTensor> inputs = List.of(values(DType.F32, seed++, 2, 4, 9, 10), values(DType.F32, seed++, 6, 2, kernel[0], kernel[1]),
                            values(DType.F32, seed++, 6));
                    padded.add(sample(mode + " k " + Arrays.toString(kernel) + " d " + dilation, inputs,
                            Map.of("padding", mode, "dilation", dilation, "groups", 2L),
                            t -> torch.conv2d(t.get(0), t.get(1), optional(t, 2), s(1), mode, s(dilation), 2)));
                }
            }
        }
        harness.check("aten::conv2d.padding", padded);

        List<Sample> conv1d = new ArrayList<>();
        conv1d.add(sample("s2 p1", List.of(values(DType.F32, seed++, 2, 3, 10), values(DType.F32, seed++, 4, 3, 3), values(DType.F32, seed++, 4)),
                Map.of("stride", s(2), "padding", s(1)), t -> torch.conv1d(t.get(0), t.get(1), optional(t, 2), s(2), s(1), s(1), 1)));
        conv1d.add(sample("depthwise d3", List.of(values(DType.F64, seed++, 1, 4, 12), values(DType.F64, seed++, 4, 1, 3)),
                Map.of("dilation", s(3), "groups", 4L), t -> torch.conv1d(t.get(0), t.get(1), optional(t, 2), s(1), s(0), s(3), 4)));
        conv1d.add(sample("kernel over input", List.of(values(DType.F32, seed++, 3, 5, 2), values(DType.F32, seed++, 4, 5, 3), values(DType.F32, seed++, 4)),
                Map.of("padding", s(1)), t -> torch.conv1d(t.get(0), t.get(1), optional(t, 2), s(1), s(1), s(1), 1)));
        harness.check("aten::conv1d", conv1d);
        harness.check("aten::conv1d.padding", List.of(sample("same k4", List.of(values(DType.F32, seed++, 2, 3, 7), values(DType.F32, seed++, 2, 3, 4)),
                Map.of("padding", "same"), t -> torch.conv1d(t.get(0), t.get(1), optional(t, 2), s(1), "same", s(1), 1))));
        harness.check("aten::conv3d", List.of(sample("depthwise p1", List.of(values(DType.F32, seed++, 2, 3, 4, 5, 4),
                values(DType.F32, seed++, 3, 1, 3, 3, 2), values(DType.F32, seed++, 3)), Map.of("padding", s(1), "groups", 3L),
                t -> torch.conv3d(t.get(0), t.get(1), optional(t, 2), s(1), s(1), s(1), 3)), sample("p1 s[1,2,1]", List.of(values(DType.F32, seed++, 1, 2, 5, 6, 4),
                values(DType.F32, seed++, 3, 2, 3, 3, 2), values(DType.F32, seed++, 3)), Map.of("stride", s(1, 2, 1), "padding", s(1)),
                t -> torch.conv3d(t.get(0), t.get(1), optional(t, 2), s(1, 2, 1), s(1), s(1), 1))));
        harness.assertNoFailures("convolutions");
    }

    @Test
    void transposedConvolutions() {
        List<Sample> core = new ArrayList<>();
        long seed = 1200;
        // input, weight [in, out / groups, k...], stride, padding, output_padding, dilation, groups
        long[][][] cases = {
            {{1, 4, 5, 5}, {4, 3, 3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {1}},
            {{2, 4, 4, 3}, {4, 2, 3, 3}, {2, 1}, {0, 1}, {0, 0}, {1, 1}, {2}},
            {{1, 2, 4, 4}, {2, 3, 2, 3}, {1, 1}, {0, 0}, {0, 0}, {2, 2}, {1}},
            {{1, 3, 3, 3}, {3, 2, 4, 4}, {2, 2}, {1, 1}, {0, 0}, {1, 1}, {1}},
            {{1, 2, 4, 4}, {2, 3, 2, 2}, {3, 3}, {2, 1}, {1, 2}, {1, 1}, {1}}, // padding beyond the kernel's reach
        };
        for (DType dtype : List.of(DType.F32, DType.F64)) {
            for (long[][] c : cases) {
                List<HostTensor> inputs = List.of(values(dtype, seed++, c[0]), values(dtype, seed++, c[1]), values(dtype, seed++, c[1][1] * c[6][0]));
                core.add(sample(dtype + " " + Arrays.deepToString(c), inputs, Map.of("stride", c[2], "padding", c[3], "output_padding", c[4],
                        "dilation", c[5], "transposed", true, "groups", c[6][0]), t -> torch.convolution(t.get(0), t.get(1), optional(t, 2),
                        c[2], c[3], c[5], true, c[4], c[6][0])));
            }
        }
        harness.check("aten::convolution", core);
        long[][] c = cases[0];
        harness.check("aten::conv_transpose2d.input", List.of(sample("s2 p1 op1", List.of(values(DType.F32, seed++, c[0]), values(DType.F32, seed++, c[1])),
                Map.of("stride", s(2), "padding", s(1), "output_padding", s(1)),
                t -> torch.conv_transpose2d(t.get(0), t.get(1), optional(t, 2), s(2), s(1), s(1), 1, s(1)))));
        harness.check("aten::conv_transpose1d", List.of(sample("s3 g2", List.of(values(DType.F32, seed++, 2, 4, 5), values(DType.F32, seed++, 4, 1, 3),
                values(DType.F32, seed++, 2)), Map.of("stride", s(3), "groups", 2L),
                t -> torch.conv_transpose1d(t.get(0), t.get(1), optional(t, 2), s(3), s(0), s(0), 2, s(1)))));
        harness.assertNoFailures("transposed convolutions");
    }

    @Test
    void maxPooling() {
        List<Sample> pools = new ArrayList<>();
        List<Sample> withIndices = new ArrayList<>();
        long seed = 1300;
        // kernel, stride, padding, dilation, ceil_mode (1 = true) over inputs [2, 3, 9, 9] and [1, 2, 8, 7]
        long[][][] cases = {
            {{3, 3}, {2, 2}, {1, 1}, {1, 1}, {0}}, // the ResNet stem
            {{3, 3}, {2, 2}, {1, 1}, {1, 1}, {1}},
            {{2, 2}, {}, {0, 0}, {1, 1}, {1}},
            {{3, 2}, {2, 3}, {1, 0}, {2, 1}, {0}},
            {{2, 3}, {3, 2}, {0, 1}, {1, 1}, {1}},
        };
        long[][] shapes = {{2, 3, 9, 9}, {1, 2, 8, 7}};
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16, DType.F16, DType.I64, DType.U8)) {
            for (int i = 0; i < cases.length; i++) {
                long[][] c = cases[i];
                for (long[] shape : dtype == DType.F32 ? shapes : new long[][] {shapes[i % 2]}) {
                    HostTensor x = withEdges(dtype, seed++, shape);
                    boolean ceil = c[4][0] == 1;
                    Map<String, Object> attributes = new LinkedHashMap<>(Map.of("kernel_size", c[0], "padding", c[2], "dilation", c[3], "ceil_mode", ceil));
                    if (c[1].length > 0) {
                        attributes.put("stride", c[1]);
                    }
                    String what = dtype + Arrays.toString(shape) + " " + Arrays.deepToString(c);
                    pools.add(sample(what, List.of(x), attributes, t -> torch.max_pool2d(t.get(0), c[0], c[1], c[2], c[3], ceil)));
                    withIndices.add(new Sample(what, List.of(x), attributes, t -> {
                        T_TensorTensor_T result = torch.max_pool2d_with_indices(t.get(0), c[0], c[1], c[2], c[3], ceil);
                        return List.of(result.get0(), result.get1());
                    }));
                }
            }
        }
        pools.add(sample("unbatched", List.of(values(DType.F32, seed++, 3, 7, 7)), Map.of("kernel_size", s(3), "stride", s(2)),
                t -> torch.max_pool2d(t.get(0), s(3), s(2), s(0), s(1), false)));
        harness.checkWhereLibtorchAccepts("aten::max_pool2d", pools);
        harness.checkWhereLibtorchAccepts("aten::max_pool2d_with_indices", withIndices);
        harness.check("aten::max_pool1d", List.of(sample("k3 s2 p1 ceil", List.of(withEdges(DType.F32, seed++, 2, 3, 10)),
                Map.of("kernel_size", s(3), "stride", s(2), "padding", s(1), "ceil_mode", true), t -> torch.max_pool1d(t.get(0), s(3), s(2), s(1), s(1), true))));
        harness.check("aten::max_pool3d", List.of(sample("k2", List.of(values(DType.F32, seed++, 1, 2, 5, 4, 6)),
                Map.of("kernel_size", s(2)), t -> torch.max_pool3d(t.get(0), s(2), s(), s(0), s(1), false))));
        harness.assertNoFailures("max pooling");
    }

    @Test
    void averagePooling() {
        List<Sample> pools = new ArrayList<>();
        long seed = 1400;
        long[][][] cases = {
            {{3, 3}, {2, 2}, {1, 1}},
            {{2, 2}, {}, {0, 0}},
            {{3, 2}, {2, 3}, {1, 1}},
            {{2, 3}, {1, 2}, {1, 0}},
        };
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16, DType.I64)) {
            // every window in f32, two of them in the other dtypes
            for (long[][] c : dtype == DType.F32 ? cases : new long[][][] {cases[0], cases[2]}) {
                for (boolean ceil : new boolean[] {false, true}) {
                    for (boolean countPad : new boolean[] {true, false}) {
                        HostTensor x = values(dtype, seed++, 2, 3, 9, 8);
                        Map<String, Object> attributes = new LinkedHashMap<>(Map.of("kernel_size", c[0], "padding", c[2], "ceil_mode", ceil,
                                "count_include_pad", countPad));
                        if (c[1].length > 0) {
                            attributes.put("stride", c[1]);
                        }
                        pools.add(sample(dtype + " " + Arrays.deepToString(c) + " ceil " + ceil + " count_pad " + countPad, List.of(x), attributes,
                                t -> torch.avg_pool2d(t.get(0), c[0], c[1], c[2], ceil, countPad, new org.bytedeco.pytorch.LongOptional())));
                    }
                }
            }
        }
        pools.add(sample("divisor_override 5", List.of(values(DType.F32, seed++, 1, 2, 6, 6)), Map.of("kernel_size", s(3), "divisor_override", 5L),
                t -> torch.avg_pool2d(t.get(0), s(3), s(), s(0), false, true, new org.bytedeco.pytorch.LongOptional(5))));
        harness.checkWhereLibtorchAccepts("aten::avg_pool2d", pools);
        harness.check("aten::avg_pool1d", List.of(sample("k3 s2 p1 ceil", List.of(values(DType.F32, seed++, 2, 3, 10)),
                Map.of("kernel_size", s(3), "stride", s(2), "padding", s(1), "ceil_mode", true, "count_include_pad", false),
                t -> torch.avg_pool1d(t.get(0), s(3), s(2), s(1), true, false))));
        harness.check("aten::avg_pool3d", List.of(sample("k2 p1", List.of(values(DType.F32, seed++, 1, 2, 5, 4, 6)),
                Map.of("kernel_size", s(2), "padding", s(1)),
                t -> torch.avg_pool3d(t.get(0), s(2), s(), s(1), false, true, new org.bytedeco.pytorch.LongOptional()))));

        List<Sample> adaptive = new ArrayList<>();
        long[][][] sizes = {{{2, 3, 7, 7}, {1, 1}}, {{2, 3, 8, 8}, {4, 4}}, {{1, 2, 7, 5}, {3, 2}}, {{3, 6, 6}, {2, 3}}, {{1, 2, 5, 9}, {5, 4}}};
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16)) {
            for (long[][] size : sizes) {
                adaptive.add(sample(dtype + " " + Arrays.toString(size[0]) + " to " + Arrays.toString(size[1]), List.of(values(dtype, seed++, size[0])),
                        Map.of("output_size", size[1]), t -> torch.adaptive_avg_pool2d(t.get(0), size[1])));
            }
        }
        harness.check("aten::adaptive_avg_pool2d", adaptive);
        harness.check("aten::_adaptive_avg_pool2d", adaptive.subList(0, 5));
        harness.check("aten::adaptive_avg_pool1d", List.of(sample("10 to 4", List.of(values(DType.F32, seed++, 2, 3, 10)),
                Map.of("output_size", s(4)), t -> torch.adaptive_avg_pool1d(t.get(0), s(4)))));
        harness.assertNoFailures("average pooling");
    }

    @Test
    void refusals() {
        HostTensor x = values(DType.F32, 1, 1, 3, 5, 5);
        harness.refuses("aten::conv2d", List.of(x, values(DType.F32, 2, 4, 2, 3, 3)), Map.of(), "channels");
        harness.refuses("aten::conv2d", List.of(x, values(DType.F64, 2, 4, 3, 3, 3)), Map.of(), "dtype");
        harness.refuses("aten::conv2d.padding", List.of(x, values(DType.F32, 2, 4, 3, 3, 3)), Map.of("padding", "same", "stride", 2L), "stride 1");
        harness.refuses("aten::conv2d", List.of(x, values(DType.F32, 2, 4, 3, 7, 7)), Map.of(), "smaller kernel");
        harness.refuses("aten::max_pool2d", List.of(x), Map.of("kernel_size", s(2), "padding", s(2)), "half the kernel");
        harness.refuses("aten::avg_pool2d", List.of(x), Map.of("kernel_size", s(2, 2, 2)), "one per spatial dimension");
        harness.assertNoFailures("refusals");
    }
}
