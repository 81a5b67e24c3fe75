package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.FamilyHarness.optional;
import static io.torchtpu.lowering.aten.FamilyHarness.positive;
import static io.torchtpu.lowering.aten.FamilyHarness.sample;
import static io.torchtpu.lowering.aten.FamilyHarness.values;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Batch, layer and group norm against libtorch: running statistics, batch statistics, all outputs of the native forms. */
class NormalizationNumericTest {
    private static FamilyHarness harness;

    @BeforeAll
    static void start() {
        harness = new FamilyHarness("normalization", Map.of());
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static List<Tensor> all(T_TensorTensorTensor_T result) {
        return List.of(result.get0(), result.get1(), result.get2());
    }

    /** input, weight, bias, running_mean, running_var for [N, C, ...] in {@code dtype}, the parameters in {@code paramType}. */
    private static List<HostTensor> batchNormInputs(DType dtype, DType paramType, long seed, long... shape) {
        long channels = shape[1];
        return List.of(values(dtype, seed, shape), values(paramType, seed + 1, channels), values(paramType, seed + 2, channels),
                values(paramType, seed + 3, channels), positive(paramType, seed + 4, channels));
    }

    @Test
    void batchNorm() {
        List<Sample> inference = new ArrayList<>();
        List<Sample> training = new ArrayList<>();
        List<Sample> nativeForm = new ArrayList<>();
        List<Sample> noTraining = new ArrayList<>();
        long seed = 2000;
        DType[][] dtypes = {{DType.F32, DType.F32}, {DType.F64, DType.F64}, {DType.BF16, DType.BF16}, {DType.F16, DType.F16}, {DType.BF16, DType.F32}};
        for (DType[] pair : dtypes) {
            for (long[] shape : new long[][] {{2, 4, 5, 5}, {3, 6}, {2, 3, 7}}) {
                List<HostTensor> x = batchNormInputs(pair[0], pair[1], seed += 5, shape);
                String what = pair[0] + " params " + pair[1] + " " + Arrays.toString(shape);
                double eps = 1e-3;
                Map<String, Object> eval = Map.of("training", false, "momentum", 0.1, "eps", eps, "cudnn_enabled", true);
                inference.add(sample(what, x, eval, t -> torch.batch_norm(t.get(0), optional(t, 1), optional(t, 2), optional(t, 3), optional(t, 4),
                        false, 0.1, eps, true)));
                inference.add(sample(what + " without weight and bias", List.of(x.get(0), x.get(3), x.get(4)), eval,
                        t -> torch.batch_norm(t.get(0), new TensorOptional(), new TensorOptional(), optional(t, 1), optional(t, 2), false, 0.1, eps, true)));
                training.add(sample(what, x, Map.of("training", true, "momentum", 0.1, "eps", eps, "cudnn_enabled", true),
                        t -> torch.batch_norm(t.get(0), optional(t, 1), optional(t, 2), optional(t, 3), optional(t, 4), true, 0.1, eps, true)));
                for (boolean train : new boolean[] {false, true}) {
                    nativeForm.add(new Sample(what + " training " + train, x, Map.of("training", train, "momentum", 0.1, "eps", eps),
                            t -> all(torch.native_batch_norm(t.get(0), optional(t, 1), optional(t, 2), optional(t, 3), optional(t, 4), train, 0.1, eps))));
                }
                noTraining.add(new Sample(what, x, Map.of("momentum", 0.1, "eps", eps),
                        t -> all(torch.native_batch_norm(t.get(0), optional(t, 1), optional(t, 2), optional(t, 3), optional(t, 4), false, 0.1, eps))));
            }
        }
        harness.check("aten::batch_norm", inference);
        harness.check("aten::batch_norm", training);
        harness.check("aten::native_batch_norm", nativeForm);
        harness.check("aten::_native_batch_norm_legit_no_training", noTraining);
        harness.check("aten::_native_batch_norm_legit", nativeForm.subList(0, 2));
        harness.assertNoFailures("batch norm");
    }

    @Test
    void layerNorm() {
        List<Sample> composite = new ArrayList<>();
        List<Sample> nativeForm = new ArrayList<>();
        long seed = 2100;
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16, DType.F16)) {
            for (long[] normalized : new long[][] {{8}, {3, 8}}) {
                for (int params = 0; params <= 2; params++) {
                    List<HostTensor> x = new ArrayList<>(List.of(values(dtype, seed++, 2, 3, 8)));
                    for (int i = 0; i < params; i++) {
                        x.add(values(dtype, seed++, normalized));
                    }
                    String what = dtype + " over " + Arrays.toString(normalized) + " with " + params + " affine tensors";
                    Map<String, Object> attributes = Map.of("normalized_shape", normalized, "eps", 1e-5);
                    composite.add(sample(what, x, attributes,
                            t -> torch.layer_norm(t.get(0), normalized, optional(t, 1), optional(t, 2), 1e-5, true)));
                    nativeForm.add(new Sample(what, x, attributes,
                            t -> all(torch.native_layer_norm(t.get(0), normalized, optional(t, 1), optional(t, 2), 1e-5))));
                }
            }
        }
        // bf16 activations with f32 weights (mixed precision): the statistics come out in f32
        List<HostTensor> mixed = List.of(values(DType.BF16, seed++, 4, 6), values(DType.F32, seed++, 6), values(DType.F32, seed++, 6));
        nativeForm.add(new Sample("BF16 with F32 weights", mixed, Map.of("normalized_shape", new long[] {6}, "eps", 1e-5),
                t -> all(torch.native_layer_norm(t.get(0), new long[] {6}, optional(t, 1), optional(t, 2), 1e-5))));
        harness.check("aten::layer_norm", composite);
        harness.check("aten::native_layer_norm", nativeForm);
        harness.assertNoFailures("layer norm");
    }

    @Test
    void groupNorm() {
        List<Sample> composite = new ArrayList<>();
        List<Sample> nativeForm = new ArrayList<>();
        long seed = 2200;
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16)) {
            for (long groups : new long[] {1, 3, 6}) {
                List<HostTensor> x = List.of(values(dtype, seed++, 2, 6, 4, 3), values(dtype, seed++, 6), values(dtype, seed++, 6));
                String what = dtype + " groups " + groups;
                composite.add(sample(what, x, Map.of("num_groups", groups, "eps", 1e-5, "cudnn_enabled", true),
                        t -> torch.group_norm(t.get(0), groups, optional(t, 1), optional(t, 2), 1e-5, true)));
                nativeForm.add(new Sample(what, x, Map.of("N", 2L, "C", 6L, "HxW", 12L, "group", groups, "eps", 1e-5),
                        t -> all(torch.native_group_norm(t.get(0), optional(t, 1), optional(t, 2), 2, 6, 12, groups, 1e-5))));
            }
        }
        composite.add(sample("without affine", List.of(values(DType.F32, seed++, 3, 4, 5)), Map.of("num_groups", 2L),
                t -> torch.group_norm(t.get(0), 2)));
        harness.check("aten::group_norm", composite);
        harness.check("aten::native_group_norm", nativeForm);
        harness.assertNoFailures("group norm");
    }

    @Test
    void refusals() {
        List<HostTensor> x = batchNormInputs(DType.F32, DType.F32, 1, 2, 4, 3);
        harness.refuses("aten::batch_norm", List.of(x.get(0), x.get(1), x.get(2)), Map.of("training", true), "cannot tell weight and bias");
        harness.refuses("aten::batch_norm", List.of(x.get(0), x.get(1)), Map.of("training", false), "running statistics are required");
        harness.refuses("aten::batch_norm", List.of(x.get(0), values(DType.F32, 1, 5), x.get(2), x.get(3), x.get(4)), Map.of(), "must have shape [4]");
        harness.refuses("aten::layer_norm", List.of(x.get(0)), Map.of("normalized_shape", new long[] {4}), "trailing dimensions");
        harness.refuses("aten::group_norm", List.of(x.get(0)), Map.of("num_groups", 3L), "groups");
        harness.assertNoFailures("refusals");
    }
}
