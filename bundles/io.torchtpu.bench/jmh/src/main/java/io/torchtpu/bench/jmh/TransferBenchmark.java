package io.torchtpu.bench.jmh;

import io.torchtpu.api.DType;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
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

/** Host-device transfers through the API: upload (and free) a tensor, and copy a resident one back to the host. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TransferBenchmark {
    @Param({"1024", "1048576"})
    public int floats;

    private ContainerFixture fixture;
    private Runtime runtime;
    private HostTensor host;
    private DeviceBuffer resident;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new ContainerFixture();
        runtime = fixture.cpu().runtime();
        host = HostTensor.allocate(TensorType.of(DType.F32, floats));
        resident = runtime.upload(host);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        resident.close();
        fixture.close();
    }

    @Benchmark
    public void upload() {
        runtime.upload(host).close();
    }

    @Benchmark
    public HostTensor toHost() {
        return resident.toHost();
    }
}
