package io.torchtpu.runtime.pjrt;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
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
 * Diagnosis only: where the time of {@code PjrtLoadedExecutable.execute} goes beyond the C
 * floor. Lives in the bridge's package (this module is a plain class-path tool, not a
 * bundle) to call the JNI entry points directly, one layer at a time:
 * <ol>
 *   <li>{@link #jniExecute}: PjrtNative.execute (which destroys a completion event that is
 *       already ready and returns 0 for it) + eventIsReady/eventCheck/eventDestroy when it
 *       is not + bufferDestroy: the bridge's native calls with no Java objects;</li>
 *   <li>{@link #jniExecuteBufferInfo}: the same plus PjrtNative.bufferInfo, which every
 *       new PjrtBuffer calls;</li>
 *   <li>{@link #api}: the public API (PjrtLoadedExecutable.execute + PjrtBuffer.close).</li>
 * </ol>
 * The differences are the cost of each layer. For a 16-byte copy to the host (which the
 * XLA CPU plugin completes on a worker thread): {@link #toHostBusySpin} (bufferToHost, then
 * a plain busy loop on eventIsReady) against {@link #toHostApi} (PjrtBuffer.toHost, which for
 * a ready buffer of the CPU plugin copies it in the JNI call; other buffers wait in
 * Events.await on a PJRT_Event_OnReady flag).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BridgeOverheadBenchmark {
  private PjrtClient client;
  private PjrtLoadedExecutable exe;
  private PjrtBuffer x;
  private PjrtBuffer y;
  private long api;
  private long exeHandle;
  private long[] args;
  private final long[] flat = new long[2];
  private final ByteBuffer host = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    String mlir;
    try (var in = getClass().getResourceAsStream("/io/torchtpu/runtime/pjrt/benchmarks/add_f32_4.mlir")) {
      mlir = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    client = PjrtPlugin.loadDefaultCpu().createClient();
    exe = client.compile(mlir);
    x = client.buffer(new float[] {1, 2, 3, 4}, 4);
    y = client.buffer(new float[] {10, 20, 30, 40}, 4);
    api = client.api();
    Field f = PjrtLoadedExecutable.class.getDeclaredField("resource");
    f.setAccessible(true);
    exeHandle = ((NativeResource) f.get(exe)).acquire(); // held for the trial
    args = new long[] {x.acquire(), y.acquire()};
  }

  private long executeRaw() {
    PjrtNative.execute(api, exeHandle, args, 1, 1, 0, flat);
    long ev = flat[1];
    if (ev != 0) {
      while (!PjrtNative.eventIsReady(api, ev)) Thread.onSpinWait();
      PjrtNative.eventCheck(api, ev);
      PjrtNative.eventDestroy(api, ev);
    }
    return flat[0];
  }

  @Benchmark
  public long jniExecute() {
    long out = executeRaw();
    PjrtNative.bufferDestroy(api, out);
    return out;
  }

  @Benchmark
  public long[] jniExecuteBufferInfo() {
    long out = executeRaw();
    long[] info = PjrtNative.bufferInfo(api, out);
    PjrtNative.bufferDestroy(api, out);
    return info;
  }

  @Benchmark
  public int api() {
    PjrtBuffer[] out = exe.execute(x, y);
    for (PjrtBuffer b : out) b.close();
    return out.length;
  }

  @Benchmark
  public long toHostBusySpin() {
    long ev = PjrtNative.bufferToHost(api, args[0], host, 0, 16);
    if (ev != 0) {
      while (!PjrtNative.eventIsReady(api, ev)) Thread.onSpinWait();
      PjrtNative.eventCheck(api, ev);
      PjrtNative.eventDestroy(api, ev);
    }
    return ev;
  }

  @Benchmark
  public ByteBuffer toHostApi() {
    host.clear();
    return x.toHost(host);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    client.close();
  }
}
