package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.OpSamples.ALL;
import static io.torchtpu.lowering.aten.OpSamples.multi;
import static io.torchtpu.lowering.aten.OpSamples.random;
import static io.torchtpu.lowering.aten.OpSamples.sample;
import static io.torchtpu.lowering.aten.OpSamples.scalar;
import static io.torchtpu.lowering.aten.OpSamples.shape;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.LongArrayRef;
import org.bytedeco.pytorch.LongArrayRefOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** StatisticOps and ScanOps against libtorch: full and partial reductions, var/std, norms, scans, diff, sort, topk. */
class StatisticNumericTest {
    private static OpSamples.Checker checker;

    @BeforeAll
    static void start() {
        checker = new OpSamples.Checker("statistics and scans", Map.of());
    }

    @AfterAll
    static void stop() {
        checker.close();
    }

    private static Map<String, Object> attrs(Object... pairs) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                map.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return map;
    }

    private static final long[][] SHAPES = {{}, {7}, {2, 3, 4}};

    /**
     * Calls libtorch with {@code dims} (null: none) as an optional array whose numbers live through the call. The
     * {@code LongArrayRefOptional(long...)} constructor views a copy that JavaCPP frees when the constructor
     * returns, so a sample built that way ahead of its call read freed memory: libtorch reduced other dimensions
     * now and then (var over [0, 2] of a [2, 3, 4] input gave 2 values instead of 3).
     */
    private static <T> T withDims(long[] dims, Function<LongArrayRefOptional, T> call) {
        if (dims == null) {
            return call.apply(new LongArrayRefOptional());
        }
        try (LongPointer numbers = new LongPointer(dims)) {
            return call.apply(new LongArrayRefOptional(new LongArrayRef(numbers, dims.length)));
        }
    }

    @Test
    void fullReductions() {
        long seed = 9000;
        List<Sample> sums = new ArrayList<>();
        List<Sample> means = new ArrayList<>();
        List<Sample> maxes = new ArrayList<>();
        List<Sample> mins = new ArrayList<>();
        List<Sample> prods = new ArrayList<>();
        List<Sample> anys = new ArrayList<>();
        List<Sample> alls = new ArrayList<>();
        for (DType dtype : ALL) {
            for (long[] size : SHAPES) {
                HostTensor x = random(dtype, seed++, size);
                String what = dtype + shape(size);
                sums.add(sample(what, List.of(x), attrs(), t -> t.get(0).sum()));
                maxes.add(sample(what, List.of(x), attrs(), t -> t.get(0).max()));
                mins.add(sample(what, List.of(x), attrs(), t -> t.get(0).min()));
                prods.add(sample(what, List.of(x), attrs(), t -> t.get(0).prod()));
                anys.add(sample(what, List.of(x), attrs(), t -> t.get(0).any()));
                alls.add(sample(what, List.of(x), attrs(), t -> t.get(0).all()));
                if (dtype.isFloatingPoint()) {
                    means.add(sample(what, List.of(x), attrs(), t -> t.get(0).mean()));
                }
            }
            HostTensor x = random(dtype, seed++, 3, 4);
            sums.add(sample(dtype + " as f64", List.of(x), attrs("dtype", DType.F64), t -> t.get(0).sum(new ScalarTypeOptional(torch.ScalarType.Double))));
            HostTensor empty = random(dtype, seed++, 0, 3);
            sums.add(sample(dtype + " empty", List.of(empty), attrs(), t -> t.get(0).sum()));
            anys.add(sample(dtype + " empty", List.of(empty), attrs(), t -> t.get(0).any()));
            alls.add(sample(dtype + " empty", List.of(empty), attrs(), t -> t.get(0).all()));
        }
        checker.check("aten::sum", sums);
        checker.check("aten::mean", means);
        checker.check("aten::max", maxes);
        checker.check("aten::min", mins);
        checker.check("aten::prod", prods);
        checker.check("aten::any", anys);
        checker.check("aten::all", alls);
        checker.assertNoFailures("full reductions");
    }

    @Test
    void dimReductions() {
        long seed = 10000;
        List<Sample> prods = new ArrayList<>();
        List<Sample> anyDims = new ArrayList<>();
        List<Sample> anyDimLists = new ArrayList<>();
        List<Sample> allDims = new ArrayList<>();
        List<Sample> allDimLists = new ArrayList<>();
        List<Sample> variances = new ArrayList<>();
        List<Sample> deviations = new ArrayList<>();
        List<Sample> logsumexps = new ArrayList<>();
        List<Sample> norms = new ArrayList<>();
        List<Sample> vectorNorms = new ArrayList<>();
        List<Sample> argmaxes = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor x = random(dtype, seed++, 2, 3, 4);
            for (boolean keepdim : new boolean[] {false, true}) {
                String what = dtype + " keepdim " + keepdim;
                prods.add(sample(what + " dim 1", List.of(x), attrs("dim", 1L, "keepdim", keepdim),
                        t -> t.get(0).prod(1, keepdim, new ScalarTypeOptional())));
                anyDims.add(sample(what + " dim -1", List.of(x), attrs("dim", -1L, "keepdim", keepdim), t -> t.get(0).any(-1, keepdim)));
                allDims.add(sample(what + " dim 0", List.of(x), attrs("dim", 0L, "keepdim", keepdim), t -> t.get(0).all(0, keepdim)));
                anyDimLists.add(sample(what + " dims [0, 2]", List.of(x), attrs("dim", new long[] {0, 2}, "keepdim", keepdim),
                        t -> t.get(0).any(new long[] {0, 2}, keepdim)));
                allDimLists.add(sample(what + " dims [1, 2]", List.of(x), attrs("dim", new long[] {1, 2}, "keepdim", keepdim),
                        t -> t.get(0).all(new long[] {1, 2}, keepdim)));
                argmaxes.add(sample(what + " dim None", List.of(x), attrs("keepdim", keepdim), t -> t.get(0).argmax(new LongOptional(), keepdim)));
                logsumexps.add(sample(what + " dims [1]", List.of(x), attrs("dim", new long[] {1}, "keepdim", keepdim),
                        t -> torch.logsumexp(t.get(0), new long[] {1}, keepdim)));
                logsumexps.add(sample(what + " dims [0, 2]", List.of(x), attrs("dim", new long[] {0, 2}, "keepdim", keepdim),
                        t -> torch.logsumexp(t.get(0), new long[] {0, 2}, keepdim)));
                if (dtype.isFloatingPoint()) {
                    for (Object correction : new Object[] {null, 0L, 2.5, 24L}) {
                        long[] dims = correction instanceof Long c && c == 24 ? null : new long[] {0, 2};
                        String sample = what + " correction " + correction + " dims " + (dims == null ? "all" : shape(dims));
                        ScalarOptional torchCorrection = correction == null ? new ScalarOptional() : new ScalarOptional(scalar(correction));
                        variances.add(sample(sample, List.of(x), attrs("dim", dims, "correction", correction, "keepdim", keepdim),
                                t -> withDims(dims, torchDims -> t.get(0).var(torchDims, torchCorrection, keepdim))));
                        deviations.add(sample(sample, List.of(x), attrs("dim", dims, "correction", correction, "keepdim", keepdim),
                                t -> withDims(dims, torchDims -> t.get(0).std(torchDims, torchCorrection, keepdim))));
                    }
                    for (double ord : new double[] {2, 1, 0, 3, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5}) {
                        vectorNorms.add(sample(what + " ord " + ord + " dims [1, 2]", List.of(x), attrs("ord", ord, "dim", new long[] {1, 2}, "keepdim", keepdim),
                                t -> torch.linalg_vector_norm(t.get(0), scalar(ord), new long[] {1, 2}, keepdim, new ScalarTypeOptional())));
                    }
                    norms.add(sample(what + " p 2 dims [-1]", List.of(x), attrs("p", 2L, "dim", new long[] {-1}, "keepdim", keepdim),
                            t -> t.get(0).norm(new ScalarOptional(scalar(2L)), new long[] {-1}, keepdim)));
                }
            }
            if (dtype.isFloatingPoint()) {
                vectorNorms.add(sample(dtype + " default: 2-norm of everything", List.of(x), attrs(), t -> torch.linalg_vector_norm(t.get(0))));
                norms.add(sample(dtype + " p None dims [0]", List.of(x), attrs("dim", new long[] {0}), t -> t.get(0).norm(new ScalarOptional(), 0)));
            }
        }
        checker.check("aten::prod.dim_int", prods);
        checker.check("aten::any.dim", anyDims);
        checker.check("aten::any.dims", anyDimLists);
        checker.check("aten::all.dim", allDims);
        checker.check("aten::all.dims", allDimLists);
        checker.check("aten::var.correction", variances);
        checker.check("aten::std.correction", deviations);
        checker.check("aten::logsumexp", logsumexps);
        checker.check("aten::linalg_vector_norm", vectorNorms);
        checker.check("aten::norm.ScalarOpt_dim", norms);
        checker.check("aten::argmax", argmaxes);
        checker.assertNoFailures("reductions over dims");
    }

    @Test
    void scans() {
        long seed = 11000;
        List<Sample> cumsums = new ArrayList<>();
        List<Sample> cumprods = new ArrayList<>();
        List<Sample> diffs = new ArrayList<>();
        List<Sample> sorts = new ArrayList<>();
        List<Sample> topks = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor x = random(dtype, seed++, 3, 9);
            for (long dim : new long[] {-1, 0}) {
                cumsums.add(sample(dtype + " dim " + dim, List.of(x), attrs("dim", dim), t -> torch.cumsum(t.get(0), dim)));
                cumprods.add(sample(dtype + " dim " + dim, List.of(x), attrs("dim", dim), t -> t.get(0).cumprod(dim)));
                for (long n : new long[] {1, 2, 12}) {
                    diffs.add(sample(dtype + " dim " + dim + " n " + n, List.of(x), attrs("dim", dim, "n", n),
                            t -> t.get(0).diff(n, dim, new TensorOptional(), new TensorOptional())));
                }
                sorts.add(multi(dtype + " dim " + dim, List.of(x), attrs("dim", dim), t -> pair(t.get(0).sort(dim, false))));
                sorts.add(multi(dtype + " dim " + dim + " descending", List.of(x), attrs("dim", dim, "descending", true), t -> pair(t.get(0).sort(dim, true))));
            }
            cumsums.add(sample(dtype + " as f64", List.of(x), attrs("dim", 1L, "dtype", DType.F64),
                    t -> torch.cumsum(t.get(0), 1, new ScalarTypeOptional(torch.ScalarType.Double))));
            cumsums.add(sample(dtype + " 0-d", List.of(random(dtype, seed++)), attrs("dim", 0L), t -> torch.cumsum(t.get(0), 0)));
            // GPT-2: diff(x, 1, -1, prepend=x[:, :1] - 1)
            diffs.add(sample(dtype + " with prepend", List.of(x, random(dtype, seed++, 3, 1)), attrs("dim", -1L),
                    t -> t.get(0).diff(1, -1, new TensorOptional(t.get(1)), new TensorOptional())));
            diffs.add(sample(dtype + " with prepend and append", List.of(x, random(dtype, seed++, 3, 2), random(dtype, seed++, 3, 1)), attrs("dim", 1L, "n", 2L),
                    t -> t.get(0).diff(2, 1, new TensorOptional(t.get(1)), new TensorOptional(t.get(2)))));
            if (dtype != DType.BOOL) {
                // topk leaves the order of equal values open: distinct values, exact in every dtype
                HostTensor distinct = distinct(dtype, seed++, 3, 9);
                for (long k : new long[] {1, 4}) {
                    topks.add(multi(dtype + " k " + k + " largest", List.of(distinct), attrs("k", k), t -> pair(t.get(0).topk(k, -1, true, true))));
                    topks.add(multi(dtype + " k " + k + " smallest dim 0", List.of(distinct), attrs("k", k > 3 ? 3L : k, "dim", 0L, "largest", false),
                            t -> pair(t.get(0).topk(k > 3 ? 3 : k, 0, false, true))));
                }
            }
        }
        checker.check("aten::cumsum", cumsums);
        checker.check("aten::cumprod", cumprods);
        checker.check("aten::diff", diffs);
        checker.check("aten::sort", sorts);
        checker.check("aten::topk", topks);
        checker.assertNoFailures("scans, diff, sort");
    }

    /** A shuffle of distinct small numbers (halves for floats), exactly representable in every dtype. */
    private static HostTensor distinct(DType dtype, long seed, long rows, long columns) {
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < rows * columns; i++) {
            values.add(dtype.isFloatingPoint() ? (i - 13) * 0.5 : dtype == DType.U8 ? i : i - 13);
        }
        java.util.Collections.shuffle(values, new java.util.Random(seed));
        return Oracle.fromDoubles(dtype, values.stream().mapToDouble(Double::doubleValue).toArray(), rows, columns);
    }

    private static List<org.bytedeco.pytorch.Tensor> pair(T_TensorTensor_T result) {
        return List.of(result.get0(), result.get1());
    }

    @Test
    void pythonOperatorSpellings() {
        long seed = 12000;
        List<Sample> ands = new ArrayList<>();
        List<Sample> ors = new ArrayList<>();
        List<Sample> xors = new ArrayList<>();
        for (DType dtype : List.of(DType.BOOL, DType.I64, DType.I32, DType.U8, DType.I8)) {
            HostTensor a = random(dtype, seed++, 3, 4);
            HostTensor b = random(dtype, seed++, 4);
            ands.add(sample(dtype.toString(), List.of(a, b), attrs(), t -> t.get(0).bitwise_and(t.get(1))));
            ors.add(sample(dtype.toString(), List.of(a, b), attrs(), t -> t.get(0).bitwise_or(t.get(1))));
            xors.add(sample(dtype.toString(), List.of(a, b), attrs(), t -> t.get(0).bitwise_xor(t.get(1))));
        }
        ands.add(sample("bool with i64", List.of(random(DType.BOOL, seed++, 4), random(DType.I64, seed++, 4)), attrs(), t -> t.get(0).bitwise_and(t.get(1))));
        checker.check("aten::__and__.Tensor", ands);
        checker.check("aten::__or__.Tensor", ors);
        checker.check("aten::__xor__.Tensor", xors);
        checker.assertNoFailures("Python operator spellings");
    }
}
