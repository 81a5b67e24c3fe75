package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.FamilyHarness.optional;
import static io.torchtpu.lowering.aten.FamilyHarness.values;
import static io.torchtpu.lowering.aten.FamilyHarness.withEdges;
import static io.torchtpu.lowering.aten.OpSamples.ALL;
import static io.torchtpu.lowering.aten.OpSamples.FLOATS;
import static io.torchtpu.lowering.aten.OpSamples.random;
import static io.torchtpu.lowering.aten.OpSamples.sample;
import static io.torchtpu.lowering.aten.OpSamples.scalar;
import static io.torchtpu.lowering.aten.OpSamples.shape;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Core ATen overloads this bundle lowers that no other numeric test sampled (found by
 * {@link CoreAtenHarnessCoverageTest}): pooling and batch norm forms, view aliases, scalar bitwise ops, empty_strided,
 * var.dim. One compile per op.
 */
class CoreAtenGapsNumericTest {
    private static FamilyHarness harness;

    @BeforeAll
    static void start() {
        // squeeze.dims with dim=[] squeezed every dim until ShapeOps learnt that an empty list squeezes nothing
        Map<String, String> known = new HashMap<>();
        harness = new FamilyHarness("core ATen gaps", known);
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static Map<String, Object> attrs(Object... pairs) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    @Test
    void poolingAndNormalization() {
        long seed = 30000;
        List<Sample> adaptive = new ArrayList<>();
        long[][][] sizes = {{{2, 3, 6, 5, 7}, {3, 2, 4}}, {{1, 2, 4, 4, 4}, {1, 1, 1}}, {{3, 5, 6, 7}, {2, 3, 3}}, {{1, 1, 3, 5, 4}, {3, 5, 4}}};
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16)) {
            for (long[][] size : sizes) {
                adaptive.add(sample(dtype + " " + shape(size[0]) + " to " + shape(size[1]), List.of(values(dtype, seed++, size[0])),
                        attrs("output_size", size[1]), t -> torch.adaptive_avg_pool3d(t.get(0), size[1])));
            }
        }
        harness.check("aten::_adaptive_avg_pool3d", adaptive);

        // kernel, stride ({} = kernel), padding, dilation, ceil_mode (1 = true)
        long[][][] windows = {{{2, 2, 2}, {}, {0, 0, 0}, {1, 1, 1}, {0}}, {{3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {0}},
            {{2, 3, 2}, {2, 1, 2}, {1, 0, 1}, {1, 1, 1}, {1}}, {{2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {2, 1, 2}, {0}}};
        List<Sample> maxPools = new ArrayList<>();
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16)) {
            for (long[][] w : windows) {
                boolean ceil = w[4][0] == 1;
                Map<String, Object> attributes = attrs("kernel_size", w[0], "padding", w[2], "dilation", w[3], "ceil_mode", ceil);
                if (w[1].length > 0) {
                    attributes.put("stride", w[1]);
                }
                HostTensor x = values(dtype, seed++, 2, 3, 6, 5, 7);
                maxPools.add(new Sample(dtype + " " + Arrays.deepToString(w), List.of(x), attributes, t -> {
                    T_TensorTensor_T result = torch.max_pool3d_with_indices(t.get(0), w[0], w[1], w[2], w[3], ceil);
                    return List.of(result.get0(), result.get1());
                }));
            }
        }
        maxPools.add(new Sample("F32 unbatched with NaN and infinities", List.of(withEdges(DType.F32, seed++, 2, 4, 4, 4)),
                attrs("kernel_size", new long[] {2, 2, 2}), t -> {
                    T_TensorTensor_T result = torch.max_pool3d_with_indices(t.get(0), new long[] {2, 2, 2}, new long[] {}, new long[] {0, 0, 0},
                            new long[] {1, 1, 1}, false);
                    return List.of(result.get0(), result.get1());
                }));
        harness.check("aten::max_pool3d_with_indices", maxPools);

        // _native_batch_norm_legit.no_stats(input, weight?, bias?, training, momentum, eps): batch statistics, none kept;
        // libtorch's native_batch_norm without running statistics is the same computation. For bf16 the reference is
        // libtorch in f32, rounded to bf16: libtorch's own bf16 CPU kernel is the less accurate one (bf16 [3, 6], element
        // 5: f64 gives -0.25599, the lowering -0.25586, libtorch's bf16 kernel -0.27148)
        List<Sample> noStats = new ArrayList<>();
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16)) {
            for (long[] inputShape : new long[][] {{2, 4, 5, 5}, {3, 6}, {2, 3, 7}}) {
                long channels = inputShape[1];
                List<HostTensor> x = List.of(values(dtype, seed++, inputShape), values(dtype, seed++, channels), values(dtype, seed++, channels));
                for (int params : new int[] {2, 0}) {
                    List<HostTensor> inputs = x.subList(0, 1 + params);
                    noStats.add(new Sample(dtype + " " + shape(inputShape) + " with " + params + " affine tensors", inputs,
                            attrs("training", true, "momentum", 0.1, "eps", 1e-5), t -> {
                                List<Tensor> f = dtype == DType.BF16 ? t.stream().map(a -> a.to(torch.ScalarType.Float)).toList() : t;
                                T_TensorTensorTensor_T r = torch.native_batch_norm(f.get(0), optional(f, 1), optional(f, 2), new TensorOptional(),
                                        new TensorOptional(), true, 0.1, 1e-5);
                                return Stream.of(r.get0(), r.get1(), r.get2()).map(a -> a.to(Oracle.scalarType(dtype))).toList();
                            }));
                }
            }
        }
        harness.check("aten::_native_batch_norm_legit.no_stats", noStats);
        harness.assertNoFailures("pooling and normalization");
    }

    @Test
    void viewsCreationAndElementwise() {
        long seed = 31000;
        List<Sample> aliases = new ArrayList<>();
        List<Sample> squeezes = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor x = random(dtype, seed++, 2, 1, 4, 1);
            aliases.add(sample(dtype + " [2, 1, 4, 1]", List.of(x), attrs(), t -> torch.alias(t.get(0))));
            aliases.add(sample(dtype + " 0-d", List.of(random(dtype, seed++)), attrs(), t -> torch.alias(t.get(0))));
            for (long[] dims : new long[][] {{1, 3}, {0, 1}, {-1}, {}}) {
                squeezes.add(sample(dtype + " dims " + shape(dims), List.of(x), attrs("dim", dims), t -> t.get(0).squeeze(dims)));
            }
        }
        squeezes.add(sample("F32 0-d dims [0]", List.of(random(DType.F32, seed++)), attrs("dim", new long[] {0}), t -> t.get(0).squeeze(0L)));
        harness.check("aten::alias", aliases);
        harness.check("aten::squeeze.dims", squeezes);

        List<DType> integers = List.of(DType.I64, DType.I32, DType.I16, DType.I8, DType.U8);
        List<Sample> ors = new ArrayList<>();
        List<Sample> xors = new ArrayList<>();
        for (DType dtype : integers) {
            for (long value : new long[] {3, 6}) {
                HostTensor x = random(dtype, seed++, 3, 4);
                ors.add(sample(dtype + " with " + value, List.of(x), attrs("other", value), t -> t.get(0).bitwise_or(scalar(value))));
                xors.add(sample(dtype + " with " + value, List.of(x), attrs("other", value), t -> t.get(0).bitwise_xor(scalar(value))));
            }
        }
        harness.check("aten::bitwise_or.Scalar", ors);
        harness.check("aten::bitwise_xor.Scalar", xors);

        // empty_strided's values are uninitialized in libtorch: the reference is libtorch's empty_strided (its shape and
        // dtype) filled with zeros, the value the lowering fills with
        List<Sample> empties = new ArrayList<>();
        long[][][] layouts = {{{}, {}}, {{0}, {1}}, {{3}, {1}}, {{2, 3, 4}, {12, 4, 1}}, {{2, 3}, {1, 2}}};
        for (DType dtype : ALL) {
            for (long[][] layout : layouts) {
                empties.add(sample(dtype + " " + shape(layout[0]) + " stride " + shape(layout[1]), List.of(),
                        attrs("size", layout[0], "stride", layout[1], "dtype", dtype),
                        t -> torch.empty_strided(layout[0], layout[1], new TensorOptions(Oracle.scalarType(dtype))).zero_()));
            }
        }
        empties.add(sample("default dtype [2, 2]", List.of(), attrs("size", new long[] {2, 2}, "stride", new long[] {2, 1}),
                t -> torch.empty_strided(new long[] {2, 2}, new long[] {2, 1}, new TensorOptions()).zero_()));
        harness.check("aten::empty_strided", empties);
        harness.assertNoFailures("views, creation and elementwise");
    }

    @Test
    void statistics() {
        long seed = 32000;
        List<Sample> variances = new ArrayList<>();
        for (DType dtype : FLOATS) {
            HostTensor x = values(dtype, seed++, 2, 3, 4);
            for (long[] dims : new long[][] {{1}, {0, 2}, {-1}}) {
                for (boolean unbiased : new boolean[] {true, false}) {
                    for (boolean keepdim : new boolean[] {false, true}) {
                        variances.add(sample(dtype + " dims " + shape(dims) + " unbiased " + unbiased + " keepdim " + keepdim, List.of(x),
                                attrs("dim", dims, "unbiased", unbiased, "keepdim", keepdim), t -> t.get(0).var(dims, unbiased, keepdim)));
                    }
                }
            }
        }
        HostTensor edges = withEdges(DType.F32, seed++, 2, 8);
        variances.add(sample("F32 with NaN and infinities dims [1]", List.of(edges), attrs("dim", new long[] {1}, "unbiased", true, "keepdim", false),
                t -> t.get(0).var(new long[] {1}, true, false)));
        harness.check("aten::var.dim", variances);
        harness.assertNoFailures("statistics");
    }
}
