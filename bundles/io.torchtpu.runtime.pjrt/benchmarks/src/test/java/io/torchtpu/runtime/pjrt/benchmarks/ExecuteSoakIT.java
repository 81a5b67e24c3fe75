package io.torchtpu.runtime.pjrt.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.runtime.pjrt.PjrtBuffer;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtElementType;
import io.torchtpu.runtime.pjrt.PjrtLoadedExecutable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Soak: 100,000 executions of stablehlo.add on f32[4], each with fresh input and output
 * buffers (bufferFromHost x2, execute, toHost, close x3). RSS (VmRSS of
 * /proc/self/status) is read after 5,000 warm-up executions and at the end; it may grow
 * by less than 5% plus 8 MiB, and no execution may fail. The bridge exposes no count of
 * open native handles, so the test instead checks that every buffer it closed reports
 * isClosed(). Runs only with {@code mvn -Dsoak=true verify} (the {@code soak} profile).
 */
@EnabledIfSystemProperty(named = "soak", matches = "true")
class ExecuteSoakIT {
  static final int WARMUP = Integer.getInteger("soak.warmup", 5_000);
  static final int EXECUTIONS = Integer.getInteger("soak.executions", 100_000);
  static final double MAX_GROWTH = 0.05;
  static final long SLACK_KIB = 8 * 1024;

  private final ByteBuffer xHost = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
  private final ByteBuffer yHost = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
  private final ByteBuffer outHost = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
  private long failures;
  private Throwable firstFailure;
  private long notClosed;

  @Test
  void hundredThousandExecutionsKeepRssFlat() throws Exception {
    try (PjrtClient client = BenchSupport.cpuClient();
         PjrtLoadedExecutable exe = client.compile(BenchSupport.ADD_F32_4)) {
      for (int i = 0; i < WARMUP; i++) once(client, exe, i);
      settle();
      long before = rssKib();
      long t0 = System.nanoTime();
      for (int i = 0; i < EXECUTIONS; i++) once(client, exe, WARMUP + i);
      double seconds = (System.nanoTime() - t0) / 1e9;
      settle();
      long after = rssKib();
      double growth = (after - before) / (double) before;
      System.out.printf("soak: %,d executions in %.2f s (%.1f us each); VmRSS %,d KiB -> %,d KiB (%+.2f%%);"
              + " failures %d; buffers not closed %d; open native handles: not exposed by the API%n",
          EXECUTIONS, seconds, seconds * 1e6 / EXECUTIONS, before, after, growth * 100, failures, notClosed);
      if (firstFailure != null) firstFailure.printStackTrace();
      assertEquals(0, failures, "failed executions (first: " + firstFailure + ")");
      assertEquals(0, notClosed, "buffers still open after close()");
      assertTrue(after - before <= before * MAX_GROWTH + SLACK_KIB,
          "VmRSS grew from " + before + " KiB to " + after + " KiB, more than 5% + 8 MiB");
    }
  }

  private void once(PjrtClient client, PjrtLoadedExecutable exe, int i) {
    try {
      float a = i % 1000;
      xHost.clear();
      yHost.clear();
      for (int k = 0; k < 4; k++) {
        xHost.putFloat(k * 4, a + k);
        yHost.putFloat(k * 4, 10 * k);
      }
      PjrtBuffer x = client.bufferFromHost(xHost, PjrtElementType.F32, 4);
      PjrtBuffer y = client.bufferFromHost(yHost, PjrtElementType.F32, 4);
      PjrtBuffer[] out = exe.execute(x, y);
      try {
        outHost.clear();
        out[0].toHost(outHost);
        for (int k = 0; k < 4; k++) {
          float got = outHost.getFloat(k * 4);
          if (got != a + 11 * k) throw new AssertionError("execution " + i + ": element " + k + " is " + got);
        }
      } finally {
        x.close();
        y.close();
        for (PjrtBuffer b : out) b.close();
        if (!x.isClosed() || !y.isClosed()) notClosed++;
        for (PjrtBuffer b : out) if (!b.isClosed()) notClosed++;
      }
    } catch (RuntimeException | AssertionError e) {
      if (firstFailure == null) firstFailure = e;
      failures++;
    }
  }

  /** Lets the GC and the bridge's Cleaner catch up, so RSS is compared at rest. */
  private static void settle() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
  }

  static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
