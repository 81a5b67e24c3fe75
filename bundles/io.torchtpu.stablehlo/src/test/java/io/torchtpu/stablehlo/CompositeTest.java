package io.torchtpu.stablehlo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.torchtpu.api.DType;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** stablehlo.composite: deterministic text, private decomposition functions, and the CPU plugin inlines them. */
class CompositeTest {
    private static PjrtRuntime runtime;

    @BeforeAll
    static void openRuntime() {
        runtime = new PjrtRuntime(PjrtPlugin.loadDefaultCpu().initialize().createClient(Map.of()));
    }

    @AfterAll
    static void closeRuntime() {
        runtime.close();
    }

    private static TensorType f32(long... shape) {
        return TensorType.of(DType.F32, shape);
    }

    /** main(x, y) = (scale_add(x, y), scale_add(scale_add(x, y), x)), the second composite nesting a third. */
    private static StableHloModule module() {
        ModuleBuilder module = new ModuleBuilder("composites");
        FunctionBuilder f = module.function("main", List.of(f32(2), f32(2)));
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("scale", FunctionBuilder.attribute(DType.F32, 2.0));
        attributes.put("axis", FunctionBuilder.attribute(DType.I64, 0L));
        attributes.put("kind", FunctionBuilder.attribute("a \"b\""));
        FunctionBuilder.Body scaleAdd = (g, args) -> List.of(g.add(g.multiply(args.get(0), g.constant(f32(2), 2.0)), args.get(1)));
        HloValue first = f.composite("test.scale_add", List.of(f.argument(0), f.argument(1)), attributes, 1, scaleAdd).get(0);
        List<HloValue> second = f.composite("test.twice", List.of(first, f.argument(0)), Map.of(), 0,
                (g, args) -> List.of(g.composite("test.scale_add", args, Map.of(), 1, scaleAdd).get(0), args.get(1)));
        f.ret(List.of(first, second.get(0), second.get(1)));
        return module.build();
    }

    @Test
    void textIsDeterministic() {
        String expected = """
                module @composites {
                  func.func public @main(%arg0: tensor<2xf32>, %arg1: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
                    %0 = stablehlo.composite "test.scale_add" %arg0, %arg1 {composite_attributes = {axis = 0 : i64, kind = "a \\"b\\"", scale = 2.0 : f32}, decomposition = @test.scale_add.impl_0, version = 1 : i32} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
                    %1:2 = stablehlo.composite "test.twice" %0, %arg0 {decomposition = @test.twice.impl_0, version = 0 : i32} : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
                    return %0, %1#0, %1#1 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
                  }
                  func.func private @test.scale_add.impl_0(%arg0: tensor<2xf32>, %arg1: tensor<2xf32>) -> (tensor<2xf32>) {
                    %0 = "stablehlo.constant"() {value = dense<2.0> : tensor<2xf32>} : () -> tensor<2xf32>
                    %1 = "stablehlo.multiply"(%arg0, %0) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
                    %2 = "stablehlo.add"(%1, %arg1) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
                    return %2 : tensor<2xf32>
                  }
                  func.func private @test.twice.impl_0(%arg0: tensor<2xf32>, %arg1: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
                    %0 = stablehlo.composite "test.scale_add" %arg0, %arg1 {decomposition = @test.scale_add.impl_1, version = 1 : i32} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
                    return %0, %arg1 : tensor<2xf32>, tensor<2xf32>
                  }
                  func.func private @test.scale_add.impl_1(%arg0: tensor<2xf32>, %arg1: tensor<2xf32>) -> (tensor<2xf32>) {
                    %0 = "stablehlo.constant"() {value = dense<2.0> : tensor<2xf32>} : () -> tensor<2xf32>
                    %1 = "stablehlo.multiply"(%arg0, %0) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
                    %2 = "stablehlo.add"(%1, %arg1) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
                    return %2 : tensor<2xf32>
                  }
                }
                """;
        assertEquals(expected, module().text());
        assertEquals(module().fingerprint(), module().fingerprint());
    }

    @Test
    void compilesAndRunsOnTheCpuPlugin() {
        StableHloModule module = module();
        try (Executable executable = runtime.compile(module.text(), Map.of())) {
            List<HostTensor> out = executable.run(List.of(HostTensor.ofFloats(new float[] {1, 2}, 2),
                    HostTensor.ofFloats(new float[] {10, 20}, 2)));
            assertArrayEquals(new float[] {12, 24}, out.get(0).toFloatArray());
            assertArrayEquals(new float[] {25, 50}, out.get(1).toFloatArray());
            assertArrayEquals(new float[] {1, 2}, out.get(2).toFloatArray());
        }
    }

    @Test
    void rejectsBadNamesAndEmptyDecompositions() {
        FunctionBuilder f = new ModuleBuilder("m").function("main", List.of(f32(2)));
        assertThrows(HloTypeException.class, () -> f.composite("bad \"name", List.of(f.argument(0)), Map.of(), 0,
                (g, args) -> args));
        assertThrows(HloTypeException.class, () -> f.composite("ok", List.of(f.argument(0)), Map.of("bad key", "1 : i64"), 0,
                (g, args) -> args));
        assertThrows(HloTypeException.class, () -> f.composite("ok", List.of(f.argument(0)), Map.of(), 0, (g, args) -> List.of()));
    }
}
