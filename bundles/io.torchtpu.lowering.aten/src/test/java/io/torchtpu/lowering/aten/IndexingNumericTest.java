package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.OpSamples.ALL;
import static io.torchtpu.lowering.aten.OpSamples.indices;
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
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptionalList;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** IndexingOps against libtorch: gathers, scatters, advanced indexing, splits, masks and element moves. */
class IndexingNumericTest {
    private static OpSamples.Checker checker;

    @BeforeAll
    static void start() {
        checker = new OpSamples.Checker("indexing", Map.of());
    }

    @AfterAll
    static void stop() {
        checker.close();
    }

    private static Map<String, Object> attrs(Object... pairs) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static HostTensor transposed(HostTensor tensor) {
        return Oracle.host(Oracle.tensor(tensor).t());
    }

    @Test
    void gathers() {
        long seed = 1000;
        List<Sample> embeddings = new ArrayList<>();
        for (DType dtype : List.of(DType.F32, DType.F64, DType.F16, DType.BF16, DType.I64)) {
            for (long[] indexShape : new long[][] {{}, {5}, {2, 3}, {0}}) {
                HostTensor weight = random(dtype, seed++, 10, 4);
                HostTensor index = indices(0, 10, seed++, indexShape);
                embeddings.add(sample(dtype + " indices " + shape(indexShape), List.of(weight, index), attrs(),
                        t -> torch.embedding(t.get(0), t.get(1))));
            }
        }
        embeddings.add(sample("int32 indices, padding_idx 0", List.of(random(DType.F32, seed++, 6, 3), indices(DType.I32, 0, 6, seed++, 2, 4)),
                attrs("padding_idx", 0L), t -> torch.embedding(t.get(0), t.get(1), 0, false, false)));
        checker.check("aten::embedding", embeddings);

        List<Sample> selects = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor self = random(dtype, seed++, 4, 5, 3);
            for (long dim : new long[] {0, 1, -1}) {
                HostTensor index = indices(0, 3, seed++, 6);
                selects.add(sample(dtype + " dim " + dim, List.of(self, index), attrs("dim", dim), t -> t.get(0).index_select(dim, t.get(1))));
            }
        }
        selects.add(sample("0-d index", List.of(random(DType.F32, seed++, 4, 5), indices(0, 4, seed++)), attrs("dim", 0L),
                t -> t.get(0).index_select(0, t.get(1))));
        selects.add(sample("empty index", List.of(random(DType.F32, seed++, 4, 5), indices(0, 4, seed++, 0)), attrs("dim", 1L),
                t -> t.get(0).index_select(1, t.get(1))));
        selects.add(sample("int32 index", List.of(random(DType.I32, seed++, 4, 5), indices(DType.I32, 0, 5, seed++, 7)), attrs("dim", 1L),
                t -> t.get(0).index_select(1, t.get(1))));
        checker.check("aten::index_select", selects);

        List<Sample> gathers = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor self = random(dtype, seed++, 4, 5);
            gathers.add(sample(dtype + " dim 1", List.of(self, indices(0, 5, seed++, 3, 7)), attrs("dim", 1L), t -> t.get(0).gather(1, t.get(1))));
            gathers.add(sample(dtype + " dim 0", List.of(self, indices(0, 4, seed++, 6, 5)), attrs("dim", 0L), t -> t.get(0).gather(0, t.get(1))));
        }
        gathers.add(sample("rank 3 dim -1", List.of(random(DType.F32, seed++, 2, 3, 4), indices(0, 4, seed++, 2, 2, 6)), attrs("dim", -1L),
                t -> t.get(0).gather(-1, t.get(1))));
        gathers.add(sample("empty index", List.of(random(DType.F32, seed++, 2, 3), indices(0, 3, seed++, 2, 0)), attrs("dim", 1L),
                t -> t.get(0).gather(1, t.get(1))));
        checker.check("aten::gather", gathers);
        checker.assertNoFailures("embedding, index_select, gather");
    }

    @Test
    void scatters() {
        long seed = 2000;
        List<Sample> scatters = new ArrayList<>();
        List<Sample> values = new ArrayList<>();
        List<Sample> adds = new ArrayList<>();
        List<Sample> reduces = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor self = random(dtype, seed++, 4, 5);
            HostTensor src = random(dtype, seed++, 4, 6);
            // distinct indices per row (dim 1) or per column (dim 0): a replacing scatter is then deterministic
            HostTensor rows = OpSamples.distinctIndices(seed++, 4, 5, 3);
            HostTensor columns = transposed(OpSamples.distinctIndices(seed++, 5, 4, 2));
            scatters.add(sample(dtype + " dim 1", List.of(self, rows, src), attrs("dim", 1L), t -> t.get(0).scatter(1, t.get(1), t.get(2))));
            scatters.add(sample(dtype + " dim 0", List.of(self, columns, src), attrs("dim", 0L), t -> t.get(0).scatter(0, t.get(1), t.get(2))));
            Object value = dtype.isFloatingPoint() ? (Object) 2.5 : (Object) 1L;
            values.add(sample(dtype + " value " + value, List.of(self, rows), attrs("dim", 1L, "value", value),
                    t -> t.get(0).scatter(1, t.get(1), scalar(value))));
            HostTensor repeated = indices(0, 5, seed++, 4, 6);
            adds.add(sample(dtype + " dim 1 with duplicates", List.of(self, repeated, src), attrs("dim", 1L), t -> t.get(0).scatter_add(1, t.get(1), t.get(2))));
            HostTensor down = indices(0, 4, seed++, 7, 5);
            adds.add(sample(dtype + " dim 0 with duplicates", List.of(self, down, random(dtype, seed++, 7, 5)), attrs("dim", 0L),
                    t -> t.get(0).scatter_add(0, t.get(1), t.get(2))));
            if (dtype != DType.BOOL) {
                reduces.add(sample(dtype + " add", List.of(self, repeated, src), attrs("dim", 1L, "reduce", "add"),
                        t -> t.get(0).scatter(1, t.get(1), t.get(2), "add")));
                reduces.add(sample(dtype + " multiply", List.of(self, rows, src), attrs("dim", 1L, "reduce", "multiply"),
                        t -> t.get(0).scatter(1, t.get(1), t.get(2), "multiply")));
            }
        }
        checker.check("aten::scatter.src", scatters);
        checker.check("aten::scatter.value", values);
        checker.check("aten::scatter_add", adds);
        checker.check("aten::scatter.reduce", reduces);
        checker.assertNoFailures("scatter");
    }

    /** libtorch's {@code self[indices]} where {@code positions} says which entries of the index list hold which tensor. */
    private static Tensor index(Tensor self, List<Tensor> indexTensors, long[] positions) {
        TensorOptionalList list = new TensorOptionalList();
        long length = positions.length == 0 ? indexTensors.size() : positions[positions.length - 1] + 1;
        for (long i = 0, next = 0; i < length; i++) {
            final long position = i;
            boolean present = positions.length == 0 || java.util.Arrays.stream(positions).anyMatch(p -> p == position);
            list.push_back(present ? new TensorOptional(indexTensors.get((int) next++)) : new TensorOptional());
        }
        return self.index(list);
    }

    @Test
    void advancedIndexing() {
        long seed = 3000;
        List<Sample> gets = new ArrayList<>();
        List<Sample> puts = new ArrayList<>();
        // {indexed_dims (empty: 0, 1, ...), index shapes...}
        long[][][] cases = {
                {{}, {4}},
                {{}, {3, 1}, {4}},
                {{1}, {2, 3}},
                {{0, 2}, {2, 3}, {3}},
                {{1, 2}, {5}, {5}},
                {{2}, {}},
                {{0, 1, 2}, {2}, {2}, {2}}};
        for (DType dtype : List.of(DType.F32, DType.I64, DType.BOOL, DType.BF16)) {
            HostTensor self = random(dtype, seed++, 5, 6, 7);
            for (long[][] indexCase : cases) {
                long[] positions = indexCase[0];
                List<HostTensor> inputs = new ArrayList<>(List.of(self));
                for (int i = 1; i < indexCase.length; i++) {
                    long dim = positions.length == 0 ? i - 1 : positions[i - 1];
                    long size = new long[] {5, 6, 7}[(int) dim];
                    inputs.add(indices(-size, size, seed++, indexCase[i]));
                }
                Map<String, Object> attributes = positions.length == 0 ? attrs() : attrs("indexed_dims", positions);
                String description = dtype + " indexed_dims " + shape(positions) + " index shapes " + java.util.Arrays.deepToString(indexCase);
                gets.add(sample(description, inputs, attributes, t -> index(t.get(0), t.subList(1, t.size()), positions)));
            }
        }
        gets.add(sample("int32 index", List.of(random(DType.F32, seed++, 4, 3), indices(DType.I32, -4, 4, seed++, 6)), attrs(),
                t -> index(t.get(0), t.subList(1, 2), new long[0])));
        checker.check("aten::index.Tensor", gets);

        for (DType dtype : List.of(DType.F32, DType.I64, DType.F16)) {
            HostTensor self = random(dtype, seed++, 5, 6);
            HostTensor rows = Oracle.fromDoubles(DType.I64, new double[] {3, 0, -1}, 3);
            puts.add(sample(dtype + " rows, full values", List.of(self, rows, random(dtype, seed++, 3, 6)), attrs(),
                    t -> t.get(0).index_put(list(t.get(1)), t.get(2))));
            puts.add(sample(dtype + " rows, broadcast values", List.of(self, rows, random(dtype, seed++, 6)), attrs(),
                    t -> t.get(0).index_put(list(t.get(1)), t.get(2))));
            HostTensor columns = Oracle.fromDoubles(DType.I64, new double[] {5, 1}, 2);
            puts.add(sample(dtype + " columns (indexed_dims [1]), 0-d value", List.of(self, columns, random(dtype, seed++)),
                    attrs("indexed_dims", new long[] {1}), t -> t.get(0).index_put(listWithNone(t.get(1)), t.get(2))));
            HostTensor repeated = indices(-5, 5, seed++, 8);
            puts.add(sample(dtype + " accumulate with duplicates", List.of(self, repeated, random(dtype, seed++, 8, 6)), attrs("accumulate", true),
                    t -> t.get(0).index_put(list(t.get(1)), t.get(2), true)));
            puts.add(sample(dtype + " two index tensors", List.of(self, rows, Oracle.fromDoubles(DType.I64, new double[] {2, 4, 0}, 3),
                    random(dtype, seed++, 3)), attrs(), t -> t.get(0).index_put(list(t.get(1), t.get(2)), t.get(3))));
        }
        checker.check("aten::index_put", puts);
        checker.assertNoFailures("advanced indexing");
    }

    private static TensorOptionalList list(Tensor... tensors) {
        TensorOptionalList list = new TensorOptionalList();
        for (Tensor tensor : tensors) {
            list.push_back(new TensorOptional(tensor));
        }
        return list;
    }

    private static TensorOptionalList listWithNone(Tensor second) {
        TensorOptionalList list = new TensorOptionalList();
        list.push_back(new TensorOptional());
        list.push_back(new TensorOptional(second));
        return list;
    }

    @Test
    void slicesAndSplits() {
        long seed = 4000;
        List<Sample> sliceScatters = new ArrayList<>();
        List<Sample> selectScatters = new ArrayList<>();
        List<Sample> splits = new ArrayList<>();
        List<Sample> splitSizes = new ArrayList<>();
        List<Sample> chunks = new ArrayList<>();
        List<Sample> unbinds = new ArrayList<>();
        List<Sample> narrows = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor self = random(dtype, seed++, 6, 8);
            // {dim, start, end, step} and the src shape
            long[][] slices = {{0, 1, 5, 2}, {1, -5, 100, 1}, {1, 0, 8, 3}, {0, 3, 3, 1}};
            for (long[] s : slices) {
                long[] srcShape = {6, 8};
                long size = srcShape[(int) s[0]];
                long start = Math.min(Math.max(s[1] < 0 ? s[1] + size : s[1], 0), size);
                long end = Math.min(Math.max(s[2] < 0 ? s[2] + size : s[2], start), size);
                srcShape[(int) s[0]] = (end - start + s[3] - 1) / s[3];
                HostTensor src = random(dtype, seed++, srcShape);
                sliceScatters.add(sample(dtype + " " + shape(s), List.of(self, src), attrs("dim", s[0], "start", s[1], "end", s[2], "step", s[3]),
                        t -> t.get(0).slice_scatter(t.get(1), s[0], new LongOptional(s[1]), new LongOptional(s[2]), s[3])));
            }
            selectScatters.add(sample(dtype + " dim 1 index -2", List.of(self, random(dtype, seed++, 6)), attrs("dim", 1L, "index", -2L),
                    t -> t.get(0).select_scatter(t.get(1), 1, -2)));
            selectScatters.add(sample(dtype + " dim 0 index 0", List.of(self, random(dtype, seed++, 8)), attrs("dim", 0L, "index", 0L),
                    t -> t.get(0).select_scatter(t.get(1), 0, 0)));
            HostTensor tall = random(dtype, seed++, 7, 4);
            splits.add(multi(dtype + " [7, 4] by 3", List.of(tall), attrs("split_size", 3L), t -> OpSamples.list(t.get(0).split(3, 0))));
            splits.add(multi(dtype + " [6, 8] by 4 dim 1", List.of(self), attrs("split_size", 4L, "dim", 1L), t -> OpSamples.list(t.get(0).split(4, 1))));
            splitSizes.add(multi(dtype + " [2, 3, 1]", List.of(self), attrs("split_sizes", new long[] {2, 3, 1}),
                    t -> OpSamples.list(t.get(0).split_with_sizes(new long[] {2, 3, 1}, 0))));
            splitSizes.add(multi(dtype + " [0, 8] dim -1", List.of(self), attrs("split_sizes", new long[] {0, 8}, "dim", -1L),
                    t -> OpSamples.list(t.get(0).split_with_sizes(new long[] {0, 8}, -1))));
            chunks.add(multi(dtype + " [7, 4] in 3", List.of(tall), attrs("chunks", 3L), t -> OpSamples.list(t.get(0).chunk(3, 0))));
            chunks.add(multi(dtype + " [6, 8] in 3 dim 1", List.of(self), attrs("chunks", 3L, "dim", 1L), t -> OpSamples.list(t.get(0).chunk(3, 1))));
            unbinds.add(multi(dtype + " dim 1", List.of(tall), attrs("dim", 1L), t -> OpSamples.list(t.get(0).unbind(1))));
            narrows.add(sample(dtype + " dim 1 start -5 length 3", List.of(self), attrs("dim", 1L, "start", -5L, "length", 3L),
                    t -> t.get(0).narrow(1, -5, 3)));
        }
        HostTensor empty = random(DType.F32, seed++, 0, 3);
        splits.add(multi("empty [0, 3] by 2", List.of(empty), attrs("split_size", 2L), t -> OpSamples.list(t.get(0).split(2, 0))));
        chunks.add(multi("[6] in 4: fewer pieces", List.of(random(DType.F32, seed++, 6)), attrs("chunks", 4L), t -> OpSamples.list(t.get(0).chunk(4, 0))));
        chunks.add(multi("empty [0, 3] in 3", List.of(empty), attrs("chunks", 3L), t -> OpSamples.list(t.get(0).chunk(3, 0))));
        checker.check("aten::slice_scatter", sliceScatters);
        checker.check("aten::select_scatter", selectScatters);
        checker.check("aten::split.Tensor", splits);
        checker.check("aten::split_with_sizes", splitSizes);
        checker.check("aten::chunk", chunks);
        checker.check("aten::unbind.int", unbinds);
        checker.check("aten::narrow", narrows);
        checker.assertNoFailures("slices and splits");
    }

    @Test
    void masksAndTriangles() {
        long seed = 5000;
        List<Sample> fills = new ArrayList<>();
        List<Sample> tensorFills = new ArrayList<>();
        List<Sample> whereOther = new ArrayList<>();
        List<Sample> whereSelf = new ArrayList<>();
        List<Sample> whereBoth = new ArrayList<>();
        List<Sample> trils = new ArrayList<>();
        List<Sample> trius = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor self = random(dtype, seed++, 3, 4);
            HostTensor mask = random(DType.BOOL, seed++, 3, 4);
            HostTensor rowMask = random(DType.BOOL, seed++, 4);
            for (Object value : List.of(-3.4028234663852886e38, 2L, true)) {
                fills.add(sample(dtype + " value " + value, List.of(self, mask), attrs("value", value), t -> t.get(0).masked_fill(t.get(1), scalar(value))));
            }
            fills.add(sample(dtype + " broadcast mask", List.of(self, rowMask), attrs("value", 1L), t -> t.get(0).masked_fill(t.get(1), scalar(1L))));
            fills.add(sample(dtype + " self broadcast to the mask", List.of(random(dtype, seed++, 4), mask), attrs("value", 0L),
                    t -> t.get(0).masked_fill(t.get(1), scalar(0L))));
            tensorFills.add(sample(dtype + " with an f64 0-d value", List.of(self, mask, random(DType.F64, seed++)), attrs(),
                    t -> t.get(0).masked_fill(t.get(1), t.get(2))));
            for (Object other : List.of(-3.4028234663852886e38, 7L, false)) {
                whereOther.add(sample(dtype + " other " + other, List.of(mask, self), attrs("other", other), t -> torch.where(t.get(0), t.get(1), scalar(other))));
                whereSelf.add(sample(dtype + " self " + other, List.of(mask, random(dtype, seed++, 4)), attrs("self", other),
                        t -> torch.where(t.get(0), scalar(other), t.get(1))));
            }
            whereOther.add(sample(dtype + " 0-d self", List.of(mask, random(dtype, seed++)), attrs("other", 1.5), t -> torch.where(t.get(0), t.get(1), scalar(1.5))));
            HostTensor square = random(dtype, seed++, 2, 4, 5);
            for (long diagonal : new long[] {-1, 0, 2}) {
                trils.add(sample(dtype + " diagonal " + diagonal, List.of(square), attrs("diagonal", diagonal), t -> t.get(0).tril(diagonal)));
                trius.add(sample(dtype + " diagonal " + diagonal, List.of(square), attrs("diagonal", diagonal), t -> t.get(0).triu(diagonal)));
            }
        }
        for (Object[] pair : new Object[][] {{1L, 0L}, {1.0, 0L}, {true, false}, {2.5, -1.5}}) {
            HostTensor mask = random(DType.BOOL, seed++, 2, 3);
            whereBoth.add(sample("self " + pair[0] + " other " + pair[1], List.of(mask), attrs("self", pair[0], "other", pair[1]),
                    t -> torch.where(t.get(0), scalar(pair[0]), scalar(pair[1]))));
        }
        checker.check("aten::masked_fill.Scalar", fills);
        checker.check("aten::masked_fill.Tensor", tensorFills);
        checker.check("aten::where.ScalarOther", whereOther);
        checker.check("aten::where.ScalarSelf", whereSelf);
        checker.check("aten::where.Scalar", whereBoth);
        checker.check("aten::tril", trils);
        checker.check("aten::triu", trius);
        checker.assertNoFailures("masks and triangles");
    }

    @Test
    void moves() {
        long seed = 6000;
        List<Sample> rolls = new ArrayList<>();
        List<Sample> flips = new ArrayList<>();
        List<Sample> repeats = new ArrayList<>();
        List<Sample> pads = new ArrayList<>();
        for (DType dtype : ALL) {
            HostTensor x = random(dtype, seed++, 3, 4, 5);
            rolls.add(sample(dtype + " flattened by 2", List.of(x), attrs("shifts", new long[] {2}), t -> t.get(0).roll(new long[] {2})));
            rolls.add(sample(dtype + " [1, -2] on dims [0, 2]", List.of(x), attrs("shifts", new long[] {1, -2}, "dims", new long[] {0, 2}),
                    t -> t.get(0).roll(new long[] {1, -2}, 0, 2)));
            rolls.add(sample(dtype + " 7 on a dim of 3", List.of(x), attrs("shifts", new long[] {7}, "dims", new long[] {0}),
                    t -> t.get(0).roll(new long[] {7}, 0)));
            for (long[] dims : new long[][] {{0}, {0, 2}, {-1}, {}}) {
                flips.add(sample(dtype + " dims " + shape(dims), List.of(x), attrs("dims", dims), t -> t.get(0).flip(dims)));
            }
            HostTensor small = random(dtype, seed++, 2, 3);
            for (long[] times : new long[][] {{2, 1, 3}, {1, 1}, {2, 0}, {3, 2}}) {
                repeats.add(sample(dtype + " repeats " + shape(times), List.of(small), attrs("repeats", times), t -> t.get(0).repeat(times)));
            }
            for (long[] pad : new long[][] {{1, 2}, {1, 1, 2, 0}, {-1, 2}, {0, 0, 0, 0, 1, 1}}) {
                Object value = dtype.isFloatingPoint() ? (Object) 2.5 : (Object) 1L;
                pads.add(sample(dtype + " pad " + shape(pad), List.of(x), attrs("pad", pad, "value", value),
                        t -> torch.constant_pad_nd(t.get(0), pad, scalar(value))));
            }
        }
        rolls.add(sample("0-d", List.of(random(DType.F32, seed++)), attrs("shifts", new long[] {3}), t -> t.get(0).roll(new long[] {3})));
        pads.add(sample("default value", List.of(random(DType.F32, seed++, 2, 2)), attrs("pad", new long[] {1, 1}),
                t -> torch.constant_pad_nd(t.get(0), 1, 1)));
        checker.check("aten::roll", rolls);
        checker.check("aten::flip", flips);
        checker.check("aten::repeat", repeats);
        checker.check("aten::constant_pad_nd", pads);
        checker.assertNoFailures("roll, flip, repeat, pad");
    }
}
