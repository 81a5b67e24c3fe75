package io.torchtpu.api;

/**
 * What a model did since it was loaded.
 *
 * @param requests runs that returned
 * @param failures runs that threw
 * @param compiles programs compiled for it (first load, swaps, recompiles after a lowering changed)
 * @param cacheHits compiles answered from the compile cache
 * @param p50Millis median latency of a run
 * @param p99Millis 99th percentile latency of a run
 * @param maxMillis the worst latency of a run
 */
public record ModelStats(long requests, long failures, long compiles, long cacheHits, double p50Millis, double p99Millis,
        double maxMillis) {
}
