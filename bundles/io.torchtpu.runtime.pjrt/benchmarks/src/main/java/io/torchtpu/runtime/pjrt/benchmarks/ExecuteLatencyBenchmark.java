package io.torchtpu.runtime.pjrt.benchmarks;

import io.torchtpu.runtime.pjrt.PjrtBuffer;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtLoadedExecutable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

  @TearDown(Level.Trial)
  public void tearDown() {
    client.close();
  }
}
