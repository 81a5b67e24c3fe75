package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.OpSamples.ALL;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.torchtpu.lowering.aten.OpSamples.random;
import static io.torchtpu.lowering.aten.OpSamples.sample;
import static io.torchtpu.lowering.aten.OpSamples.scalar;
import static io.torchtpu.lowering.aten.OpSamples.shape;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.GraphBuilder;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.LoweringException;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CreationOps and ConversionOps against libtorch: constants of every dtype, arange, eye, dtype conversions and copies. */
class CreationNumericTest {
    private static OpSamples.Checker checker;

    @BeforeAll
    static void start() {
        checker = new OpSamples.Checker("creation and conversion", Map.of());
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

    private static TensorOptions options(DType dtype) {
        return new TensorOptions(Oracle.scalarType(dtype));
    }

    private static long[] sizes(Tensor tensor) {
        return tensor.sizes().vec().get();
    }

    private static final long[][] SIZES = {{}, {0}, {3}, {2, 3, 4}};

    /** The same creation op with every dtype (and once without, for the default), every size. */
    private static List<Sample> sized(Map<String, Object> extra, java.util.function.BiFunction<long[], DType, Tensor> torchCall) {
        List<Sample> samples = new ArrayList<>();
        List<DType> dtypes = new ArrayList<>(ALL);
        dtypes.add(null);
        for (DType dtype : dtypes) {
            for (long[] size : SIZES) {
                Map<String, Object> attributes = new HashMap<>(extra);
                attributes.put("size", size);
                if (dtype != null) {
                    attributes.put("dtype", dtype);
                }
                samples.add(sample((dtype == null ? "default dtype" : dtype.toString()) + " " + shape(size), List.of(), attributes,
                        t -> torchCall.apply(size, dtype)));
            }
        }
        return samples;
    }

    @Test
    void constants() {
        checker.check("aten::zeros", sized(Map.of(), (s, d) -> d == null ? torch.zeros(s) : torch.zeros(s, options(d))));
        checker.check("aten::ones", sized(Map.of(), (s, d) -> d == null ? torch.ones(s) : torch.ones(s, options(d))));
        checker.check("aten::empty.memory_format", sized(Map.of(), (s, d) -> d == null ? torch.zeros(s) : torch.zeros(s, options(d))));
        for (Object value : List.of(2.5, -7L, true)) {
            checker.check("aten::full", sized(Map.of("fill_value", value),
                    (s, d) -> d == null ? torch.full(s, scalar(value)) : torch.full(s, scalar(value), options(d))));
        }
        List<Sample> likes = new ArrayList<>();
        List<Sample> onesLikes = new ArrayList<>();
        List<Sample> fullLikes = new ArrayList<>();
        List<Sample> emptyLikes = new ArrayList<>();
        List<Sample> newOnes = new ArrayList<>();
        List<Sample> newZeros = new ArrayList<>();
        List<Sample> newFulls = new ArrayList<>();
        List<Sample> newEmpties = new ArrayList<>();
        long seed = 7000;
        for (DType dtype : ALL) {
            HostTensor self = random(dtype, seed++, 2, 3);
            for (DType target : new DType[] {null, DType.F16, DType.BOOL, DType.I64}) {
                String what = dtype + " as " + (target == null ? "itself" : target);
                Function<Tensor, TensorOptions> like = t -> target == null ? new TensorOptions(t.scalar_type()) : options(target);
                likes.add(sample(what, List.of(self), attrs("dtype", target), t -> torch.zeros(sizes(t.get(0)), like.apply(t.get(0)))));
                onesLikes.add(sample(what, List.of(self), attrs("dtype", target), t -> torch.ones(sizes(t.get(0)), like.apply(t.get(0)))));
                emptyLikes.add(sample(what, List.of(self), attrs("dtype", target), t -> torch.zeros(sizes(t.get(0)), like.apply(t.get(0)))));
                fullLikes.add(sample(what, List.of(self), attrs("dtype", target, "fill_value", 3L),
                        t -> torch.full(sizes(t.get(0)), scalar(3L), like.apply(t.get(0)))));
                long[] size = {4, 1};
                newOnes.add(sample(what, List.of(self), attrs("dtype", target, "size", size), t -> t.get(0).new_ones(size, like.apply(t.get(0)))));
                newZeros.add(sample(what, List.of(self), attrs("dtype", target, "size", size), t -> t.get(0).new_zeros(size, like.apply(t.get(0)))));
                newEmpties.add(sample(what, List.of(self), attrs("dtype", target, "size", size), t -> t.get(0).new_zeros(size, like.apply(t.get(0)))));
                newFulls.add(sample(what, List.of(self), attrs("dtype", target, "size", size, "fill_value", -1.5),
                        t -> t.get(0).new_full(size, scalar(-1.5), like.apply(t.get(0)))));
            }
            // GPT-2's new_ones(x, [], dtype=bool)
            newOnes.add(sample(dtype + " 0-d bool", List.of(self), attrs("dtype", DType.BOOL, "size", new long[0]),
                    t -> t.get(0).new_ones(new long[0], options(DType.BOOL))));
        }
        checker.check("aten::zeros_like", likes);
        checker.check("aten::ones_like", onesLikes);
        checker.check("aten::full_like", fullLikes);
        checker.check("aten::empty_like", emptyLikes);
        checker.check("aten::new_ones", newOnes);
        checker.check("aten::new_zeros", newZeros);
        checker.check("aten::new_full", newFulls);
        checker.check("aten::new_empty", newEmpties);

        List<Sample> scalars = new ArrayList<>();
        for (Object value : List.of(2.5, -7L, true, 1e30)) {
            scalars.add(sample("default dtype " + value, List.of(), attrs("s", value), t -> torch.scalar_tensor(scalar(value))));
            for (DType dtype : List.of(DType.F64, DType.I32, DType.F16)) {
                scalars.add(sample(dtype + " " + value, List.of(), attrs("s", value, "dtype", dtype), t -> torch.scalar_tensor(scalar(value), options(dtype))));
            }
        }
        checker.check("aten::scalar_tensor", scalars);
        checker.assertNoFailures("constants");
    }

    @Test
    void rangesAndEye() {
        List<Sample> ends = new ArrayList<>();
        List<Sample> starts = new ArrayList<>();
        List<Sample> steps = new ArrayList<>();
        for (Object end : List.of(16L, 0L, 5.5, 1L)) {
            ends.add(sample("end " + end, List.of(), attrs("end", end), t -> torch.arange(scalar(end))));
        }
        for (DType dtype : ALL) {
            if (dtype != DType.BOOL) {
                ends.add(sample(dtype + " end 10", List.of(), attrs("end", 10L, "dtype", dtype), t -> torch.arange(scalar(10L), options(dtype))));
            }
        }
        for (Object[] range : new Object[][] {{2L, 9L}, {-3L, 3L}, {0.5, 4L}, {-1.25, 2.5}}) {
            starts.add(sample(range[0] + " to " + range[1], List.of(), attrs("start", range[0], "end", range[1]),
                    t -> torch.arange(scalar(range[0]), scalar(range[1]))));
        }
        for (Object[] range : new Object[][] {{0L, 10L, 3L}, {10L, 0L, -3L}, {0.0, 1.0, 0.1}, {1L, 2L, 0.25}, {-5.0, 5.0, 0.7}, {0L, 100L, 7L}}) {
            steps.add(sample(range[0] + " to " + range[1] + " by " + range[2], List.of(), attrs("start", range[0], "end", range[1], "step", range[2]),
                    t -> torch.arange(scalar(range[0]), scalar(range[1]), scalar(range[2]))));
            steps.add(sample(range[0] + " to " + range[1] + " by " + range[2] + " as f64", List.of(),
                    attrs("start", range[0], "end", range[1], "step", range[2], "dtype", DType.F64),
                    t -> torch.arange(scalar(range[0]), scalar(range[1]), scalar(range[2]), options(DType.F64))));
        }
        checker.check("aten::arange", ends);
        checker.check("aten::arange.start", starts);
        checker.check("aten::arange.start_step", steps);

        List<Sample> eyes = new ArrayList<>();
        List<Sample> rectangles = new ArrayList<>();
        for (DType dtype : ALL) {
            eyes.add(sample(dtype + " 4", List.of(), attrs("n", 4L, "dtype", dtype), t -> torch.eye(4, options(dtype))));
            rectangles.add(sample(dtype + " 3x5", List.of(), attrs("n", 3L, "m", 5L, "dtype", dtype), t -> torch.eye(3, 5, options(dtype))));
        }
        eyes.add(sample("default dtype 0", List.of(), attrs("n", 0L), t -> torch.eye(0)));
        checker.check("aten::eye", eyes);
        checker.check("aten::eye.m", rectangles);
        checker.assertNoFailures("arange and eye");
    }

    /** Finite floats that every integer dtype holds: [-100, 100), or [0, 200) for uint8. */
    private static HostTensor inRange(DType from, DType to, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        double[] values = new double[12];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextDouble() * 200 - (to == DType.U8 ? 0 : 100);
        }
        return Oracle.fromDoubles(from, values, 3, 4);
    }

    @Test
    void conversions() {
        long seed = 8000;
        List<Sample> toDtype = new ArrayList<>();
        List<Sample> toLayout = new ArrayList<>();
        List<Sample> typeAs = new ArrayList<>();
        List<Sample> copies = new ArrayList<>();
        List<Sample> detaches = new ArrayList<>();
        for (DType from : ALL) {
            HostTensor x = AtenNumericTest.random(from, seed++, false, 3, 4);
            for (DType to : ALL) {
                // float to integer of NaN, inf or out-of-range values is undefined behaviour in C++ (libtorch gives what the
                // CPU instruction gives, XLA saturates), and so is a negative float to uint8: those samples stay in range
                HostTensor in = from.isFloatingPoint() && !to.isFloatingPoint() && to != DType.BOOL ? inRange(from, to, seed++) : x;
                toDtype.add(sample(from + " to " + to, List.of(in), attrs("dtype", to), t -> t.get(0).to(Oracle.scalarType(to))));
                typeAs.add(sample(from + " as " + to, List.of(in, random(to, seed++, 2)), attrs(), t -> t.get(0).type_as(t.get(1))));
            }
            toLayout.add(sample(from + " to f32", List.of(x), attrs("dtype", DType.F32), t -> t.get(0).to(Oracle.scalarType(DType.F32))));
            toLayout.add(sample(from + " without dtype", List.of(x), attrs(), t -> t.get(0).clone()));
            copies.add(sample(from + " into f32 [2, 3, 4]", List.of(random(DType.F32, seed++, 2, 3, 4), x), attrs(),
                    t -> t.get(0).clone().copy_(t.get(1))));
            copies.add(sample(from + " into i64 with broadcast", List.of(random(DType.I64, seed++, 3, 4), random(from, seed++, 4)), attrs(),
                    t -> t.get(0).clone().copy_(t.get(1))));
            detaches.add(sample(from.toString(), List.of(x), attrs(), t -> t.get(0).detach()));
        }
        checker.check("aten::to.dtype", toDtype);
        checker.check("aten::to.dtype_layout", toLayout);
        checker.check("aten::type_as", typeAs);
        checker.check("aten::copy", copies);
        checker.check("aten::detach_", detaches);
        checker.assertNoFailures("conversions");
    }

    /** The assertions torch.export leaves are checked when the graph is lowered and leave nothing in the module. */
    @Test
    void assertionsAreCheckedAndDropped() {
        GraphBuilder graph = new GraphBuilder("asserts", checker.harness().registry());
        Value x = graph.input("x", TensorType.of(DType.F32, 2, 3));
        graph.op("aten::_assert_tensor_metadata", x).attr("dtype", DType.F32).attr("size", new long[] {2, 3}).outputs(new TensorType[0]);
        graph.op("aten::_assert_scalar").attr("self", true).attr("assert_msg", "sizes agree").outputs(new TensorType[0]);
        Value converted = graph.op("aten::to.dtype_layout", x).attr("dtype", DType.F64).output();
        LoweredModule module = checker.harness().registry().lower(graph.output(converted).build(), null);
        assertFalse(module.text().contains("_assert"), module.text());

        GraphBuilder wrong = new GraphBuilder("wrong_assert", checker.harness().registry());
        Value y = wrong.input("y", TensorType.of(DType.F32, 2, 3));
        wrong.op("aten::_assert_tensor_metadata", y).attr("dtype", DType.I64).outputs(new TensorType[0]);
        wrong.op("aten::_assert_scalar").attr("self", false).attr("assert_msg", "u0 >= 2").outputs(new TensorType[0]);
        Value out = wrong.op("aten::to.dtype", y).attr("dtype", DType.F64).output();
        LoweringException error = assertThrows(LoweringException.class, () -> checker.harness().registry().lower(wrong.output(out).build(), null));
        assertTrue(error.getMessage().contains("_assert_tensor_metadata") && error.getMessage().contains("torch.int64"), error.getMessage());
        assertTrue(error.getMessage().contains("u0 >= 2"), error.getMessage());
    }
}
