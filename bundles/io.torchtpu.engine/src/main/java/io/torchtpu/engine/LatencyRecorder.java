package io.torchtpu.engine;

import java.util.Arrays;

/** The latencies of the most recent runs, for percentiles, and the worst one seen. */
final class LatencyRecorder {
    private static final int WINDOW = 8192;
    private final long[] nanos = new long[WINDOW];
    private long count;
    private long worst;

    synchronized void record(long elapsedNanos) {
        nanos[(int) (count % WINDOW)] = elapsedNanos;
        count++;
        worst = Math.max(worst, elapsedNanos);
    }

    /** p50, p99 and the worst latency in milliseconds; zeros before the first run. */
    synchronized double[] millis() {
        int size = (int) Math.min(count, WINDOW);
        if (size == 0) {
            return new double[] {0, 0, 0};
        }
        long[] sorted = Arrays.copyOf(nanos, size);
        Arrays.sort(sorted);
        return new double[] {sorted[(size - 1) / 2] / 1e6, sorted[(int) Math.ceil(size * 0.99) - 1] / 1e6, worst / 1e6};
    }
}
