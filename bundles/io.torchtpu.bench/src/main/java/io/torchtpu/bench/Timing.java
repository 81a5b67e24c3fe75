package io.torchtpu.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one step repeatedly and summarizes its latencies. Warm-up first (JIT, allocator, thread pools), then
 * several rounds of equal length; the spread of the rounds' throughput tells how stable the figure is on a
 * machine shared with others.
 */
final class Timing {
    /** Warm-up goes on until the JIT compilers have finished nothing new for this long... */
    static final long JIT_QUIET_NANOS = 300_000_000L;
    /** ...or for at most this long after the planned warm-up. */
    static final long JIT_WAIT_LIMIT_NANOS = 10_000_000_000L;

    /** How long to measure, and how many rounds to split that into. */
    record Plan(double warmupSeconds, int warmupMinimum, double seconds, int rounds, int roundMinimum) {
        /** One warm-up and one measured iteration: what the test suite runs. */
        static Plan smoke() {
            return new Plan(0, 1, 0, 1, 1);
        }

        static Plan forSeconds(double seconds) {
            return seconds <= 0 ? smoke() : new Plan(Math.min(1.0, seconds / 4), 3, seconds, 5, 3);
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private Timing() {
    }

    /** Measures {@code step}; {@code itemsPerStep} (the batch) turns steps per second into items per second. */
    static Map<String, Object> measure(Plan plan, int itemsPerStep, Step step) throws Exception {
        return measure(plan, itemsPerStep, () -> { }, step);
    }

    /**
     * As {@link #measure(Plan, int, Step)}, running {@code before} ahead of each step without timing it; a
     * round's throughput then counts only the steps' time.
     */
    static Map<String, Object> measure(Plan plan, int itemsPerStep, Step before, Step step) throws Exception {
        long warmupEnd = System.nanoTime() + (long) (plan.warmupSeconds() * 1e9);
        for (int i = 0; i < plan.warmupMinimum() || System.nanoTime() < warmupEnd; i++) {
            before.run();
            step.run();
        }
        if (plan.seconds() > 0) {
            untilJitQuiet(before, step);
        }
        List<Long> samples = new ArrayList<>();
        double[] roundThroughput = new double[plan.rounds()];
        long cpuStart = ProcessCpu.nanos();
        long roundNanos = (long) (plan.seconds() / plan.rounds() * 1e9);
        for (int round = 0; round < plan.rounds(); round++) {
            long roundStart = System.nanoTime();
            long stepNanos = 0;
            int steps = 0;
            while (steps < plan.roundMinimum() || System.nanoTime() - roundStart < roundNanos) {
                before.run();
                long start = System.nanoTime();
                step.run();
                long elapsed = System.nanoTime() - start;
                samples.add(elapsed);
                stepNanos += elapsed;
                steps++;
            }
            roundThroughput[round] = steps * (double) itemsPerStep / (stepNanos / 1e9);
        }
        long cpuNanos = ProcessCpu.nanos() - cpuStart;
        Map<String, Object> result = summary(samples, roundThroughput);
        if (cpuStart >= 0 && cpuNanos >= 0) {
            // CPU time of the whole process per step, over all its threads: unlike wall time it barely moves
            // when other work shares the machine, so it compares peers measured minutes apart
            result.put("cpu_ms_per_step", cpuNanos / 1e6 / samples.size());
        }
        return result;
    }

    /**
     * Runs more warm-up steps until the JIT compilers go quiet. Right after a process starts they compile the
     * tracer and lowering code for seconds; on 2 cores their threads took a core from the measured step and
     * halved a figure at random (ResNet-18 at batch 1: 480/s in 4 of 7 fresh processes, 1040/s in the others).
     */
    private static void untilJitQuiet(Step before, Step step) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long start = System.nanoTime();
        long quietSince = start;
        long compiled = jit.getTotalCompilationTime();
        while (System.nanoTime() - quietSince < JIT_QUIET_NANOS && System.nanoTime() - start < JIT_WAIT_LIMIT_NANOS) {
            before.run();
            step.run();
            long now = jit.getTotalCompilationTime();
            if (now != compiled) {
                compiled = now;
                quietSince = System.nanoTime();
            }
        }
    }

    static Map<String, Object> summary(List<Long> samples, double[] roundThroughput) {
        long[] sorted = samples.stream().mapToLong(Long::longValue).sorted().toArray();
        double[] rounds = roundThroughput.clone();
        Arrays.sort(rounds);
        double median = rounds[rounds.length / 2];
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("iterations", sorted.length);
        result.put("p50_ms", percentile(sorted, 0.50) / 1e6);
        result.put("p99_ms", percentile(sorted, 0.99) / 1e6);
        result.put("min_ms", sorted[0] / 1e6);
        result.put("mean_ms", Arrays.stream(sorted).average().orElse(0) / 1e6);
        result.put("throughput_per_s", median);
        result.put("throughput_min_per_s", rounds[0]);
        result.put("throughput_max_per_s", rounds[rounds.length - 1]);
        // (max - min) / median of the rounds' throughputs, in percent
        result.put("spread_pct", median == 0 ? 0.0 : (rounds[rounds.length - 1] - rounds[0]) / median * 100);
        return result;
    }

    /** The nearest-rank percentile of sorted samples. */
    static double percentile(long[] sorted, double fraction) {
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
