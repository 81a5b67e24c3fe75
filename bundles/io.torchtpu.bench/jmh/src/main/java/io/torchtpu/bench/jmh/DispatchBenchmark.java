package io.torchtpu.bench.jmh;

import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.lowering.LoweredModule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Dispatch of a compiled model. {@code executableAdd4} is the floor through the API (an f32[4] add: almost
 * no compute, so its time is dispatch: upload, execute, await, download); {@code executableMlp} and
 * {@code modelMlp} run the MLP fixture's program directly and through the engine, so their difference is
 * what the engine adds (input checks, the deployment's hold, latency recording).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DispatchBenchmark {
    private static final String ADD4 = """
            func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
              %0 = stablehlo.add %a, %b : tensor<4xf32>
              return %0 : tensor<4xf32>
            }
            """;
    private ContainerFixture fixture;
    private Executable add4;
    private List<HostTensor> add4Inputs;
    private List<HostTensor> add4Outputs;
    private Executable mlp;
    private List<DeviceBuffer> mlpWeights;
    private Model model;
    private List<HostTensor> mlpInputs;
    private List<HostTensor> mlpOutputs;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new ContainerFixture();
        Runtime runtime = fixture.cpu().runtime();
        add4 = runtime.compile(ADD4, Map.of());
        add4Inputs = List.of(HostTensor.ofFloats(new float[] {1, 2, 3, 4}, 4), HostTensor.ofFloats(new float[] {5, 6, 7, 8}, 4));
        add4Outputs = List.of(HostTensor.allocate(TensorType.of(io.torchtpu.api.DType.F32, 4)));

        Graph graph = fixture.pt2Tracer().trace(ContainerFixture.model("mlp"), TraceOptions.defaults());
        LoweredModule lowered = fixture.lowerer().lower(graph, "cpu");
        mlp = runtime.compile(lowered.text(), Map.of());
        Map<Object, HostTensor> data = new HashMap<>();
        graph.constants().forEach(c -> data.put(c.value(), c.data()));
        mlpWeights = new ArrayList<>();
        lowered.arguments().subList(graph.inputs().size(), lowered.arguments().size())
                .forEach(argument -> mlpWeights.add(runtime.upload(data.get(argument))));
        mlpInputs = graph.inputs().stream().map(v -> HostTensor.allocate(v.type())).toList();
        mlpOutputs = graph.outputs().stream().map(v -> HostTensor.allocate(v.type())).toList();
        model = fixture.engine().load("jmh-mlp", ContainerFixture.model("mlp"), "cpu", TraceOptions.defaults());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        mlpWeights.forEach(DeviceBuffer::close);
        mlp.close();
        add4.close();
        fixture.close();
    }

    @Benchmark
    public List<HostTensor> executableAdd4() {
        add4.run(add4Inputs, List.of(), add4Outputs);
        return add4Outputs;
    }

    @Benchmark
    public List<HostTensor> executableMlp() {
        mlp.run(mlpInputs, mlpWeights, mlpOutputs);
        return mlpOutputs;
    }

    @Benchmark
    public List<HostTensor> modelMlp() {
        model.run(mlpInputs, mlpOutputs);
        return mlpOutputs;
    }
}
