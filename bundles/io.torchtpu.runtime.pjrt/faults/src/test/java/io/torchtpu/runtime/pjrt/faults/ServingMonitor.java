package io.torchtpu.runtime.pjrt.faults;

import io.torchtpu.runtime.pjrt.PjrtBuffer;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtLoadedExecutable;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * "Another model" that keeps serving on the real plugin while faults are injected elsewhere: a thread runs
 * a small program in a loop on its own client and checks every answer.
 */
final class ServingMonitor implements AutoCloseable {
    static final String SCALE_AND_SHIFT = """
            module @other_model {
              func.func public @main(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
                %0 = stablehlo.multiply %x, %y : tensor<8xf32>
                %1 = stablehlo.add %0, %x : tensor<8xf32>
                return %1 : tensor<8xf32>
              }
            }
            """;

    private final PjrtClient client;
    private final PjrtLoadedExecutable program;
    private final Thread thread;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong wrong = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;

    ServingMonitor(PjrtPlugin realPlugin) {
        this.client = realPlugin.createClient();
        this.program = client.compile(SCALE_AND_SHIFT);
        this.thread = new Thread(this::serve, "other-model");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve() {
        float[] x = new float[8];
        float[] y = new float[8];
        float[] expected = new float[8];
        for (long i = 0; running; i++) {
            for (int k = 0; k < 8; k++) {
                x[k] = (i % 97) + k;
                y[k] = k - 3;
                expected[k] = x[k] * y[k] + x[k];
            }
            try (PjrtBuffer a = client.buffer(x, 8); PjrtBuffer b = client.buffer(y, 8);
                 PjrtBuffer r = program.execute(a, b)[0]) {
                if (!Arrays.equals(expected, r.toFloatArray())) {
                    wrong.incrementAndGet();
                }
                served.incrementAndGet();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                return;
            }
        }
    }

    long served() {
        return served.get();
    }

    /** Fails unless every answer so far was right and the loop is still running and making progress. */
    void assertStillServing(String after) throws InterruptedException {
        long before = served.get();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (served.get() < before + 20 && failure.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        if (failure.get() != null) {
            throw new AssertionError("the other model stopped serving after " + after, failure.get());
        }
        if (wrong.get() != 0) {
            throw new AssertionError("the other model gave " + wrong.get() + " wrong answers after " + after);
        }
        if (served.get() < before + 20) {
            throw new AssertionError("the other model made no progress after " + after);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
        program.close();
        client.close();
    }
}
