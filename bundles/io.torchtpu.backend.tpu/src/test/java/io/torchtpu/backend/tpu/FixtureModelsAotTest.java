package io.torchtpu.backend.tpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.lowering.UncoveredOpsException;
import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.lowering.aten.AtenLoweringsForAot;
import io.torchtpu.lowering.registry.LoweringRegistry;
import io.torchtpu.runtime.pjrt.PjrtException;
import io.torchtpu.tracer.export.ExportTracer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every fixture model (.pt2), traced and lowered as the engine does, compiled ahead of time for a slice of
 * every generation. A model whose ops the lowerings do not cover yet is skipped, naming them (the MLP never).
 */
class FixtureModelsAotTest {
    private static final Path FIXTURES = Path.of(System.getProperty("torchtpu.fixtures",
            "../../bnd-workspace/src/test/resources/models"));
    private final AotCompiler compiler = new AotCompiler(TpuTestSupport.libtpu());
    private final LoweringRegistry lowerer = AtenLoweringsForAot.registry();

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "resnet18", "mobilenet_v2", "bert", "gpt2"})
    void compilesForEveryGeneration(String model) {
        Path file = FIXTURES.resolve(model).resolve("model.pt2");
        assertTrue(Files.isRegularFile(file), file + " is missing");
        Graph graph = new ExportTracer().trace(file, TraceOptions.defaults());
        StringBuilder report = new StringBuilder();
        for (TpuGeneration generation : TpuTestSupport.GENERATIONS) {
            String text;
            try {
                text = lowerer.lower(graph, "tpu-" + generation.generation()).text();
            } catch (UncoveredOpsException e) {
                Assumptions.assumeFalse(!model.equals("mlp"), model + ".pt2 still lacks lowerings for "
                        + e.uncovered().stream().map(UncoveredOpsException.Uncovered::op).toList());
                throw e;
            }
            try {
                AotCompiler.Result r = compiler.compile(text, generation, TpuTarget.parse("tpu-" + generation.generation()));
                report.append(String.format("%s on %s: args %s, temps %s, total %s; %.4g FLOPs, %.4g B; %s%n", model,
                        r.target(), AotCompiler.Result.bytes(r.memory().argumentBytes()),
                        AotCompiler.Result.bytes(r.memory().tempBytes()), AotCompiler.Result.bytes(r.memory().totalDeviceBytes()),
                        r.flops(), r.bytesAccessed(), r.roofline()));
                assertTrue(r.flops() > 0 && r.memory().argumentBytes() > 0, r.report());
            } catch (PjrtException e) {
                throw new AssertionError(model + " for " + generation.generation() + ": " + e.getMessage(), e);
            }
        }
        System.out.print(report);
    }
}
