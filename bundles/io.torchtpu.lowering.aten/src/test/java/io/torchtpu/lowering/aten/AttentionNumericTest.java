package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.FamilyHarness.optional;
import static io.torchtpu.lowering.aten.FamilyHarness.sample;
import static io.torchtpu.lowering.aten.FamilyHarness.values;
import static io.torchtpu.lowering.aten.FamilyHarness.withEdges;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scaled dot-product attention, dropout at inference, the in-place forms traced graphs keep, softmax with a dtype;
 * and a check that every layer op the fixture models use has a lowering.
 */
class AttentionNumericTest {
    private static FamilyHarness harness;

    @BeforeAll
    static void start() {
        harness = new FamilyHarness("attention and in-place", Map.of());
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    private static long[] s(long... values) {
        return values;
    }

    private static Tensor sdpa(List<Tensor> t, boolean causal, Double scale, boolean gqa) {
        return torch.scaled_dot_product_attention(t.get(0), t.get(1), t.get(2), optional(t, 3), 0.0, causal,
                scale == null ? new DoubleOptional() : new DoubleOptional(scale), gqa);
    }

    @Test
    void scaledDotProductAttention() {
        List<Sample> samples = new ArrayList<>();
        long seed = 3000;
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16, DType.F16)) {
            HostTensor q = values(dtype, seed++, 2, 3, 5, 8);
            HostTensor k = values(dtype, seed++, 2, 3, 7, 8);
            HostTensor v = values(dtype, seed++, 2, 3, 7, 6);
            samples.add(sample(dtype + " plain", List.of(q, k, v), Map.of(), t -> sdpa(t, false, null, false)));
            samples.add(sample(dtype + " scale 0.3", List.of(q, k, v), Map.of("scale", 0.3), t -> sdpa(t, false, 0.3, false)));
            HostTensor boolMask = values(DType.BOOL, seed++, 5, 7);
            samples.add(sample(dtype + " bool mask", List.of(q, k, v, boolMask), Map.of(), t -> sdpa(t, false, null, false)));
            HostTensor floatMask = values(dtype, seed++, 2, 1, 5, 7);
            samples.add(sample(dtype + " float mask", List.of(q, k, v, floatMask), Map.of(), t -> sdpa(t, false, null, false)));
            HostTensor square = values(dtype, seed++, 2, 3, 6, 8);
            samples.add(sample(dtype + " causal", List.of(square, values(dtype, seed++, 2, 3, 6, 8), values(dtype, seed++, 2, 3, 6, 4)),
                    Map.of("is_causal", true), t -> sdpa(t, true, null, false)));
        }
        samples.add(sample("causal, shorter query", List.of(values(DType.F32, seed++, 1, 2, 4, 8), values(DType.F32, seed++, 1, 2, 6, 8),
                values(DType.F32, seed++, 1, 2, 6, 8)), Map.of("is_causal", true, "scale", 0.5), t -> sdpa(t, true, 0.5, false)));
        samples.add(sample("rank 3", List.of(values(DType.F32, seed++, 4, 5, 8), values(DType.F32, seed++, 4, 3, 8),
                values(DType.F32, seed++, 4, 3, 2)), Map.of(), t -> sdpa(t, false, null, false)));
        samples.add(sample("grouped-query", List.of(values(DType.F32, seed++, 1, 4, 5, 8), values(DType.F32, seed++, 1, 2, 6, 8),
                values(DType.F32, seed++, 1, 2, 6, 8)), Map.of("enable_gqa", true), t -> sdpa(t, false, null, true)));
        // BERT's padding mask: an additive [batch, 1, 1, source] mask of 0 and a large negative number
        HostTensor padding = Oracle.fromDoubles(DType.F32, new double[] {0, 0, 0, -1e9, -1e9, 0, 0, 0, 0, -1e9}, 2, 1, 1, 5);
        samples.add(sample("additive padding mask", List.of(values(DType.F32, seed++, 2, 2, 5, 4), values(DType.F32, seed++, 2, 2, 5, 4),
                values(DType.F32, seed++, 2, 2, 5, 4), padding), Map.of(), t -> sdpa(t, false, null, false)));
        harness.check("aten::scaled_dot_product_attention", samples);

        // query row 0 may attend nothing, rows 1 and 2 everything
        double[] mask = new double[12];
        Arrays.fill(mask, 4, 12, 1);
        harness.check("aten::scaled_dot_product_attention", List.of(sample("a fully masked row", List.of(values(DType.F32, seed++, 1, 1, 3, 4),
                values(DType.F32, seed++, 1, 1, 4, 4), values(DType.F32, seed++, 1, 1, 4, 4), Oracle.fromDoubles(DType.BOOL, mask, 3, 4)),
                Map.of(), t -> sdpa(t, false, null, false))));
        HostTensor q = values(DType.F32, 1, 1, 2, 3, 4);
        harness.refuses("aten::scaled_dot_product_attention", List.of(q, q, q), Map.of("dropout_p", 0.1), "eval mode");
        harness.refuses("aten::scaled_dot_product_attention", List.of(q, q, q, values(DType.BOOL, 2, 3, 3)), Map.of("is_causal", true), "not both");
        harness.refuses("aten::scaled_dot_product_attention", List.of(q, values(DType.F32, 3, 1, 2, 3, 5), q), Map.of(), "embedding size");
        harness.assertNoFailures("scaled dot-product attention");
    }

    @Test
    void dropoutAtInference() {
        HostTensor x = withEdges(DType.F32, 3100, 2, 3, 4);
        harness.check("aten::dropout", List.of(
                sample("train False", List.of(x), Map.of("p", 0.5, "train", false), t -> torch.dropout(t.get(0), 0.5, false)),
                sample("train True, p 0", List.of(x), Map.of("p", 0.0, "train", true), t -> torch.dropout(t.get(0), 0.0, true))));
        harness.check("aten::native_dropout", List.of(new Sample("train False", List.of(x), Map.of("p", 0.2, "train", false), t -> {
            T_TensorTensor_T result = torch.native_dropout(t.get(0), 0.2, new org.bytedeco.pytorch.BoolOptional(false));
            return List.of(result.get0(), result.get1());
        })));
        harness.refuses("aten::dropout", List.of(x), Map.of("p", 0.5, "train", true), "eval mode");
        harness.refuses("aten::native_dropout", List.of(x), Map.of("p", 0.5), "eval mode");
        harness.assertNoFailures("dropout");
    }

    @Test
    void inPlaceForms() {
        long seed = 3200;
        List<Sample> relus = new ArrayList<>();
        List<Sample> hardtanhs = new ArrayList<>();
        List<Sample> adds = new ArrayList<>();
        for (DType dtype : List.of(DType.F32, DType.F64, DType.BF16, DType.I64)) {
            HostTensor x = withEdges(dtype, seed++, 2, 3, 4);
            relus.add(sample(dtype.toString(), List.of(x), Map.of(), t -> t.get(0).relu_()));
            if (dtype.isFloatingPoint()) {
                hardtanhs.add(sample(dtype + " relu6", List.of(x), Map.of("min_val", 0.0, "max_val", 6.0),
                        t -> torch.hardtanh_(t.get(0), new Scalar(0.0), new Scalar(6.0))));
            }
            adds.add(sample(dtype + " broadcast other", List.of(x, values(dtype, seed++, 4)), Map.of(), t -> t.get(0).add_(t.get(1))));
            adds.add(sample(dtype + " alpha 2", List.of(x, values(dtype, seed++, 2, 3, 4)), Map.of("alpha", 2L),
                    t -> t.get(0).add_(t.get(1), new Scalar(2L))));
        }
        // the result keeps self's dtype: f32 += f64 stays f32, i64 += i32 stays i64
        adds.add(sample("F32 self, F64 other", List.of(values(DType.F32, seed++, 3, 4), values(DType.F64, seed++, 3, 4)), Map.of(),
                t -> t.get(0).add_(t.get(1))));
        adds.add(sample("F16 self, F32 0-d other", List.of(values(DType.F16, seed++, 3, 4), values(DType.F32, seed++)), Map.of(),
                t -> t.get(0).add_(t.get(1))));
        harness.check("aten::relu_", relus);
        harness.check("aten::hardtanh_", hardtanhs);
        harness.check("aten::add_.Tensor", adds);
        harness.check("aten::mul_.Scalar", List.of(sample("I32 times 3", List.of(values(DType.I32, seed++, 5)), Map.of("other", 3L),
                t -> t.get(0).mul_(new Scalar(3L)))));
        harness.refuses("aten::add_.Tensor", List.of(values(DType.I64, 1, 3), values(DType.F32, 2, 3)), Map.of(), "cannot be cast");
        harness.refuses("aten::add_.Tensor", List.of(values(DType.F32, 1, 3), values(DType.F32, 2, 2, 3)), Map.of(), "does not fit self");
        harness.assertNoFailures("in-place forms");
    }

    @Test
    void softmaxWithDtype() {
        List<Sample> samples = new ArrayList<>();
        long seed = 3300;
        DType[][] pairs = {{DType.F16, DType.F32}, {DType.BF16, DType.F32}, {DType.F32, DType.F64}, {DType.F64, DType.F32}, {DType.F32, DType.F32}};
        for (DType[] pair : pairs) {
            for (long dim : new long[] {-1, 1}) {
                samples.add(sample(pair[0] + " to " + pair[1] + " dim " + dim, List.of(values(pair[0], seed++, 2, 5, 3)),
                        Map.of("dim", dim, "dtype", pair[1]),
                        t -> t.get(0).softmax(dim, new ScalarTypeOptional(Oracle.scalarType(pair[1])))));
            }
        }
        harness.check("aten::softmax.int", samples);
        harness.assertNoFailures("softmax with dtype");
    }

    /** Every convolution, pooling, normalization, attention, dropout and in-place op of the fixture models has a lowering. */
    @Test
    void fixtureModelLayerOpsAreCovered() throws IOException {
        Path models = Path.of("../../bnd-workspace/src/test/resources/models");
        assertTrue(Files.isDirectory(models), "the fixture models are at " + models.toAbsolutePath());
        Pattern exportOps = Pattern.compile("\"export_ops\"\\s*:\\s*\\[(.*?)]", Pattern.DOTALL);
        Pattern opName = Pattern.compile("\"aten\\.([A-Za-z0-9_]+)\\.([A-Za-z0-9_]+)\"");
        Pattern layerOp = Pattern.compile("conv|pool|norm|attention|dropout|softmax|[^_]_$"); // in-place: one trailing underscore
        TreeSet<String> needed = new TreeSet<>();
        try (Stream<Path> files = Files.list(models)) {
            for (Path model : files.map(m -> m.resolve("model.json")).filter(Files::isRegularFile).toList()) {
                Matcher list = exportOps.matcher(Files.readString(model));
                assertTrue(list.find(), model + " has export_ops");
                Matcher op = opName.matcher(list.group(1));
                while (op.find()) {
                    if (layerOp.matcher(op.group(1)).find()) {
                        needed.add("aten::" + op.group(1) + (op.group(2).equals("default") ? "" : "." + op.group(2)));
                    }
                }
            }
        }
        var registry = harness.harness().registry();
        List<String> missing = needed.stream()
                .filter(op -> !registry.lowerings().containsKey(op) && !registry.decompositions().containsKey(op)).toList();
        System.out.println("fixture layer ops: " + needed);
        assertTrue(needed.size() >= 8, "expected the fixtures' conv, pool, norm and in-place ops, found " + needed);
        assertTrue(missing.isEmpty(), "fixture ops without a lowering: " + missing);
    }
}
