package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PjrtConcurrencyTest {
  /** A loop long enough (seconds) that the execution is still running when the waiter looks; enough
   * instructions that the XLA CPU client does not judge it cheap and run it inline. */
  static final String SLOW = """
      module @slow {
        func.func public @main(%arg0: tensor<f32>) -> tensor<f32> {
          %zero = stablehlo.constant dense<0> : tensor<i64>
          %one = stablehlo.constant dense<1> : tensor<i64>
          %limit = stablehlo.constant dense<20000000> : tensor<i64>
          %r:2 = stablehlo.while(%i = %zero, %x = %arg0) : tensor<i64>, tensor<f32>
            cond {
              %c = stablehlo.compare LT, %i, %limit : (tensor<i64>, tensor<i64>) -> tensor<i1>
              stablehlo.return %c : tensor<i1>
            } do {
              %n = stablehlo.add %i, %one : tensor<i64>
              %y0 = stablehlo.sine %x : tensor<f32>
              %y1 = stablehlo.cosine %y0 : tensor<f32>
              %y2 = stablehlo.tanh %y1 : tensor<f32>
              %y3 = stablehlo.exponential %y2 : tensor<f32>
              %y4 = stablehlo.sine %y3 : tensor<f32>
              %y5 = stablehlo.cosine %y4 : tensor<f32>
              %y6 = stablehlo.tanh %y5 : tensor<f32>
              %y7 = stablehlo.sine %y6 : tensor<f32>
              %y8 = stablehlo.cosine %y7 : tensor<f32>
              %y9 = stablehlo.tanh %y8 : tensor<f32>
              %y10 = stablehlo.sine %y9 : tensor<f32>
              %y11 = stablehlo.cosine %y10 : tensor<f32>
              %y12 = stablehlo.tanh %y11 : tensor<f32>
              %y13 = stablehlo.sine %y12 : tensor<f32>
              %y14 = stablehlo.cosine %y13 : tensor<f32>
              %y15 = stablehlo.tanh %y14 : tensor<f32>
              stablehlo.return %n, %y15 : tensor<i64>, tensor<f32>
            }
          return %r#1 : tensor<f32>
        }
      }
      """;

  @Test
  void manyThreadsShareOneExecutable() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (PjrtClient client = PjrtTestSupport.plugin().createClient();
         PjrtLoadedExecutable exe = client.compile(Programs.ADD_F32_4)) {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        final float base = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            try (PjrtBuffer a = client.buffer(new float[] {base, i, 0, 1}, 4);
                 PjrtBuffer r = exe.execute(a, a)[0]) {
              assertArrayEquals(new float[] {2 * base, 2 * i, 0, 2}, r.toFloatArray());
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closingTheClientUnderRunningThreadsNeverCrashes() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    PjrtClient client = PjrtTestSupport.plugin().createClient();
    PjrtLoadedExecutable exe = client.compile(Programs.ADD_F32_4);
    AtomicInteger refused = new AtomicInteger();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      futures.add(pool.submit(() -> {
        for (int i = 0; i < 100_000; i++) {
          try (PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4);
               PjrtBuffer r = exe.execute(a, a)[0]) {
            r.toFloatArray();
          } catch (IllegalStateException closed) {
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            refused.incrementAndGet();
            return null;
          }
        }
        return null;
      }));
    }
    Thread.sleep(200);
    client.close();
    for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
    pool.shutdownNow();
    assertEquals(3, refused.get());
    PjrtPluginTest.assertStillWorks();
  }

  @Test
  void interruptingAWaitingThreadCancelsTheWait() throws Exception {
    // the XLA CPU client runs executions on its own threads only when asked to
    try (PjrtClient client = PjrtTestSupport.plugin().createClient(
             java.util.Map.of("asynchronous", true, "cpu_device_count", 2));
         PjrtLoadedExecutable exe = client.compile(SLOW, CompileOptions.defaults().withNumReplicas(2));
         PjrtBuffer x = client.bufferFromHost(java.nio.ByteBuffer.allocateDirect(4), PjrtElementType.F32, new long[0],
             exe.addressableDevices().get(0));
         PjrtBuffer y = client.bufferFromHost(java.nio.ByteBuffer.allocateDirect(4), PjrtElementType.F32, new long[0],
             exe.addressableDevices().get(1))) {
      Thread main = Thread.currentThread();
      Thread interrupter = new Thread(() -> {
        try {
          Thread.sleep(100);
        } catch (InterruptedException ignored) {
          return;
        }
        main.interrupt();
      });
      interrupter.start();
      long start = System.nanoTime();
      try {
        PjrtException e = org.junit.jupiter.api.Assertions.assertThrows(PjrtException.class, () -> exe.executeReplicated(List.of(new PjrtBuffer[] {x}, new PjrtBuffer[] {y})));
        assertEquals(PjrtErrorCode.CANCELLED, e.errorCode());
        assertTrue(Thread.currentThread().isInterrupted());
        System.out.printf("interrupted wait returned after %d ms%n", (System.nanoTime() - start) / 1_000_000);
      } finally {
        Thread.interrupted();
        interrupter.join();
      }
    }
  }
}
