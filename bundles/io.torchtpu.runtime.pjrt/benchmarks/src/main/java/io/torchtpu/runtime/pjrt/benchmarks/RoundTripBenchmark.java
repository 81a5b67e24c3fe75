package io.torchtpu.runtime.pjrt.benchmarks;

import io.torchtpu.runtime.pjrt.PjrtBuffer;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtElementType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

/**
 * Host -> device -> host round trip of {@code mib} MiB (default 64) from and into direct
 * ByteBuffers, and its peer: a copy of the same size between two direct ByteBuffers
 * (ByteBuffer.put, i.e. one memcpy). A round trip copies the data twice, so its GB/s is
 * 2 x size / time and the memcpy's is size / time, each from the median op time (run.sh
 * does that arithmetic; medians, because a shared 2-core machine makes means noisy).
 * {@link #roundTripZeroCopy} uploads with {@code bufferFromHostZeroCopy} from a 64-byte
 * aligned buffer: the XLA CPU plugin then aliases the host memory instead of copying it into
 * a freshly allocated (and page-faulted) 64 MiB block, so only the copy back remains.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RoundTripBenchmark {
  @Param("64")
  public int mib;

  private PjrtClient client;
  private ByteBuffer src;
  private ByteBuffer alignedSrc;
  private ByteBuffer dst;

  @Setup(Level.Trial)
  public void setUp() {
    client = BenchSupport.cpuClient();
    int size = mib << 20;
    src = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    dst = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    for (int i = 0; i < size; i++) src.put(i, (byte) (i * 31 + 7));
    alignedSrc = PjrtClient.allocateHostBuffer(size);
    alignedSrc.put(src).clear();
    src.clear();
    roundTrip();
    if (dst.flip().compareTo(src.clear()) != 0) throw new AssertionError("the round trip corrupted the data");
    try (PjrtBuffer b = client.bufferFromHostZeroCopy(alignedSrc, PjrtElementType.U8, new long[] {size}, null)) {
      if (!b.aliasesHost()) System.err.println("RoundTripBenchmark: the plugin copied the zero-copy upload");
    }
    roundTripZeroCopy();
    if (dst.flip().compareTo(src) != 0) throw new AssertionError("the zero-copy round trip corrupted the data");
  }

  @Benchmark
  public ByteBuffer roundTrip() {
    dst.clear();
    try (PjrtBuffer b = client.bufferFromHost(src, PjrtElementType.U8, src.remaining())) {
      return b.toHost(dst);
    }
  }

  @Benchmark
  public ByteBuffer roundTripZeroCopy() {
    dst.clear();
    try (PjrtBuffer b = client.bufferFromHostZeroCopy(alignedSrc, PjrtElementType.U8, new long[] {alignedSrc.remaining()},
        null)) {
      return b.toHost(dst);
    }
  }

  @Benchmark
  public ByteBuffer memcpy() {
    dst.clear();
    dst.put(src);
    src.clear(); // put advanced it; roundTrip reads from position to limit
    return dst;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    client.close();
  }
}
