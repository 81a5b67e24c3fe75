package io.torchtpu.stablehlo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The builder's text compiles on the real XLA CPU plugin and computes what the ops mean. */
class FunctionBuilderTest {
    private static PjrtRuntime runtime;

    @BeforeAll
    static void openRuntime() {
        runtime = new PjrtRuntime(PjrtPlugin.loadDefaultCpu().initialize().createClient(Map.of()));
    }

    @AfterAll
    static void closeRuntime() {
        runtime.close();
    }

    private static List<HostTensor> run(StableHloModule module, HostTensor... inputs) {
        try (Executable executable = runtime.compile(module.text(), Map.of())) {
            return executable.run(List.of(inputs));
        } catch (RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + module.text(), e);
        }
    }

    private static TensorType f32(long... shape) {
        return TensorType.of(DType.F32, shape);
    }

    /** One module that uses every op with a region or a structured attribute; the plugin must accept all of them. */
    private static StableHloModule everyStructuredOp() {
        ModuleBuilder module = new ModuleBuilder("every op");
        FunctionBuilder f = module.function("main", List.of(f32(2, 3), f32(3, 4)));
        HloValue a = f.argument(0);
        HloValue b = f.argument(1);
        HloValue dot = f.dotGeneral(a, b, new long[0], new long[0], new long[] {1}, new long[] {0});
        HloValue sum = f.reduce(dot, f.scalar(DType.F32, 0), new long[] {1}, f::add);
        HloValue broadcast = f.broadcastInDim(sum, new long[] {2, 4}, new long[] {0});
        HloValue lt = f.compare(FunctionBuilder.Direction.LT, dot, broadcast);
        HloValue selected = f.select(lt, dot, f.constant(f32(2, 4), Double.NaN));
        HloValue transposed = f.transpose(selected, 1, 0);
        HloValue sliced = f.slice(transposed, new long[] {1, 0}, new long[] {4, 2}, new long[] {2, 1});
        HloValue joined = f.concatenate(List.of(sliced, sliced), 0);
        HloValue reshaped = f.reshape(joined, 8);
        HloValue converted = f.convert(f.iota(TensorType.of(DType.I32, 8), 0), DType.F32);
        HloValue window = f.reduceWindow(List.of(f.add(reshaped, converted)), List.of(f.scalar(DType.F32, Double.NEGATIVE_INFINITY)),
                new long[] {2}, new long[] {2}, new long[] {1}, new long[] {1}, new long[] {0}, new long[] {0},
                (g, args) -> List.of(g.maximum(args.get(0), args.get(1)))).get(0);
        HloValue indices = f.constant(HostTensor.wrap(TensorType.of(DType.I64, 2, 1),
                java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(0).flip()));
        HloValue gathered = f.gather(b, indices, new long[] {1}, new long[] {0}, new long[] {0}, 1, new long[] {1, 4});
        HloValue sorted = f.sort(List.of(window), 0, true,
                (g, args) -> List.of(g.compare(FunctionBuilder.Direction.LT, args.get(0), args.get(1)))).get(0);
        f.ret(List.of(dot, sum, window, gathered, sorted));
        return module.build();
    }

    @Test
    void structuredOpsCompileAndCompute() {
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = new float[12];
        for (int i = 0; i < b.length; i++) {
            b[i] = i - 5;
        }
        List<HostTensor> out = run(everyStructuredOp(), HostTensor.ofFloats(a, 2, 3), HostTensor.ofFloats(b, 3, 4));
        // row 0 of a @ b: [1 2 3] x columns of b
        float[] dot = out.get(0).toFloatArray();
        assertEquals(1 * -5 + 2 * -1 + 3 * 3, dot[0], 1e-5);
        assertEquals(dot[0] + dot[1] + dot[2] + dot[3], out.get(1).toFloatArray()[0], 1e-4);
        assertArrayEquals(new long[] {4}, out.get(2).type().shape());
        // gather picks rows 2 and 0 of b
        float[] gathered = out.get(3).toFloatArray();
        assertArrayEquals(new float[] {3, 4, 5, 6, -5, -4, -3, -2}, gathered);
        float[] sorted = out.get(4).toFloatArray();
        for (int i = 1; i < sorted.length; i++) {
            assertTrue(sorted[i - 1] <= sorted[i] || Float.isNaN(sorted[i]), java.util.Arrays.toString(sorted));
        }
    }

    @Test
    void theSameCallsGiveByteIdenticalTextAndFingerprint() {
        StableHloModule first = everyStructuredOp();
        StableHloModule second = everyStructuredOp();
        assertEquals(first.text(), second.text());
        assertEquals(first.fingerprint(), second.fingerprint());
        assertEquals(64, first.fingerprint().length());
    }

    @Test
    void constantsAreExactInEveryDtype() {
        ModuleBuilder module = new ModuleBuilder("constants");
        FunctionBuilder f = module.function("main", List.of());
        List<HloValue> values = new java.util.ArrayList<>();
        double[] edge = {0.1, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 65504, 1e-40};
        for (DType dtype : List.of(DType.F64, DType.F32, DType.F16, DType.BF16)) {
            for (double v : edge) {
                values.add(f.convert(f.scalar(dtype, v), DType.F64));
            }
        }
        values.add(f.constant(TensorType.of(DType.I64), Long.MIN_VALUE));
        values.add(f.constant(TensorType.of(DType.U8, 2), 255));
        values.add(f.constant(TensorType.of(DType.BOOL, 3), 1));
        values.add(f.constant(HostTensor.allocate(TensorType.of(DType.F32, 0, 3))));
        f.ret(values);
        List<HostTensor> out = run(module.build());
        int i = 0;
        for (DType dtype : List.of(DType.F64, DType.F32, DType.F16, DType.BF16)) {
            for (double v : edge) {
                double expected = switch (dtype) {
                    case F64 -> v;
                    case F32 -> (float) v;
                    default -> Double.NaN; // only the specials are checked below for 16-bit types
                };
                double actual = out.get(i++).data().getDouble(0);
                if (dtype == DType.F64 || dtype == DType.F32) {
                    assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual), dtype + " " + v);
                } else if (!Double.isFinite(v) || v == 0) {
                    assertEquals(Double.doubleToLongBits(v), Double.doubleToLongBits(actual), dtype + " " + v);
                }
            }
        }
        assertEquals(Long.MIN_VALUE, out.get(i++).data().getLong(0));
        assertEquals((byte) 255, out.get(i++).data().get(1));
        assertEquals(1, out.get(i++).data().get(2));
        assertArrayEquals(new long[] {0, 3}, out.get(i).type().shape());
    }

    @Test
    void shapeErrorsNameTheOpAndTheTypes() {
        FunctionBuilder f = new ModuleBuilder("bad").function("main", List.of(f32(2, 3), f32(4, 3)));
        HloTypeException add = assertThrows(HloTypeException.class, () -> f.add(f.argument(0), f.argument(1)));
        assertTrue(add.getMessage().contains("stablehlo.add") && add.getMessage().contains("tensor<4x3xf32>"), add.getMessage());
        HloTypeException dot = assertThrows(HloTypeException.class,
                () -> f.dotGeneral(f.argument(0), f.argument(1), new long[0], new long[0], new long[] {1}, new long[] {0}));
        assertTrue(dot.getMessage().contains("contracting"), dot.getMessage());
    }

    @Test
    void anAlternativeIsMarkedAndLeftUnreadForThePlugin() {
        ModuleBuilder module = new ModuleBuilder("alternative");
        FunctionBuilder f = module.function("main", List.of(f32(1, 2, 3, 3), f32(1, 2, 1, 1)));
        HloValue x = f.argument(0);
        HloValue w = f.argument(1);
        // a 1x1 convolution as a product over channels, with the plain convolution beside it
        HloValue product = f.reshape(f.dotGeneral(f.reshape(w, 1, 2), f.reshape(x, 2, 9), new long[0], new long[0], new long[] {1},
                new long[] {0}), 1, 1, 3, 3);
        long[] one = {1, 1};
        long[] zero = {0, 0};
        f.convolutionAlternativeTo(product, x, w, one, zero, zero, one, one, 1);
        f.ret(List.of(product));
        StableHloModule built = module.build();
        assertTrue(built.text().contains(io.torchtpu.api.Runtime.ALTERNATIVE_TO + " = \"" + product.name() + "\"} : "), built.text());
        float[] out = run(built, HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 2, 3, 3),
                HostTensor.ofFloats(new float[] {2, -1}, 1, 2, 1, 1)).get(0).toFloatArray();
        assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11, 13, 15, 17}, out);
        HloTypeException wrongType = assertThrows(HloTypeException.class,
                () -> f.convolutionAlternativeTo(x, x, w, one, zero, zero, one, one, 1));
        assertTrue(wrongType.getMessage().contains("must have its type"), wrongType.getMessage());
    }
}
