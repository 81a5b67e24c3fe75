package io.torchtpu.bench.jmh;

import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.Lowerer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Lowering a traced graph to StableHLO text with the core ATen lowerings: the transformer (BERT), GPT-2 and ResNet-18 fixtures. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LoweringBenchmark {
    @Param({"bert", "gpt2", "resnet18"})
    public String model;

    private ContainerFixture fixture;
    private Lowerer lowerer;
    private Graph graph;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new ContainerFixture();
        lowerer = fixture.lowerer();
        graph = fixture.pt2Tracer().trace(ContainerFixture.model(model), TraceOptions.defaults());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    @Benchmark
    public LoweredModule lower() {
        return lowerer.lower(graph, "cpu");
    }
}
