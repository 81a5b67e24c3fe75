package io.torchtpu.runtime.pjrt.benchmarks;

import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.runtime.pjrt.PjrtBuffer;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtLoadedExecutable;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Latency of one execution of a tiny program (stablehlo.add of two f32[4]) through the
 * Java API: inputs created once; per operation execute + await + close of the output.
 * The peer is src/main/c/execute_floor.c doing the same through the same plugin.
 * {@link #toHostSmall} times PjrtBuffer.toHost of one f32[4] (16 bytes) against the C
 * driver's ToHostBuffer + PJRT_Event_Await of the same buffer.
 * {@link #hostTensorRun} and {@link #hostTensorRunInto} time the path the engine takes:
 * the io.torchtpu.api Executable of a PjrtRuntime run with one HostTensor input (uploaded
 * per call) and one resident DeviceBuffer, the output copied back to a new HostTensor or
 * into a caller-owned one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ExecuteLatencyBenchmark {
  private PjrtClient client;
  private PjrtLoadedExecutable exe;
  private PjrtBuffer x;
  private PjrtBuffer y;
  private final ByteBuffer host = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
  private Executable program;
  private DeviceBuffer resident;
  private List<HostTensor> inputs;
  private List<DeviceBuffer> residents;
  private List<HostTensor> outputs;

  @Setup(Level.Trial)
  public void setUp() {
    client = BenchSupport.cpuClient();
    exe = client.compile(BenchSupport.ADD_F32_4);
    x = client.buffer(new float[] {1, 2, 3, 4}, 4);
    y = client.buffer(new float[] {10, 20, 30, 40}, 4);
    PjrtBuffer[] out = exe.execute(x, y);
    float[] r = out[0].toFloatArray();
    out[0].close();
    if (r[0] != 11 || r[3] != 44) throw new AssertionError("wrong result " + java.util.Arrays.toString(r));
    PjrtRuntime runtime = new PjrtRuntime(client); // closed with the client
    program = runtime.compile(BenchSupport.ADD_F32_4, Map.of());
    resident = runtime.upload(HostTensor.ofFloats(new float[] {10, 20, 30, 40}, 4));
    inputs = List.of(HostTensor.ofFloats(new float[] {1, 2, 3, 4}, 4));
    residents = List.of(resident);
    outputs = List.of(HostTensor.ofFloats(new float[4], 4));
    float[] t = hostTensorRun().get(0).toFloatArray();
    if (t[0] != 11 || t[3] != 44) throw new AssertionError("wrong HostTensor result " + java.util.Arrays.toString(t));
  }

  @Benchmark
  public int execute() {
    PjrtBuffer[] out = exe.execute(x, y);
    for (PjrtBuffer b : out) b.close();
    return out.length;
  }

  @Benchmark
  public ByteBuffer toHostSmall() {
    host.clear();
    return x.toHost(host);
  }

  @Benchmark
  public List<HostTensor> hostTensorRun() {
    return program.run(inputs, residents);
  }

  @Benchmark
  public List<HostTensor> hostTensorRunInto() {
    program.run(inputs, residents, outputs);
    return outputs;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    client.close();
  }
}
