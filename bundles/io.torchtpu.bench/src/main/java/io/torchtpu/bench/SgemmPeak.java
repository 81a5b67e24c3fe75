package io.torchtpu.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * This machine's measured matrix-multiply peak: a square single-precision GEMM through the OpenBLAS that
 * Bytedeco ships (cblas_sgemm), on one thread and on all cores, best of several calls.
 */
final class SgemmPeak {
    private SgemmPeak() {
    }

    /** {@code size} 0 picks 2048 (about 17 GFLOP a call); the test passes a small size. */
    static Map<String, Object> measure(int size, int calls) {
        int n = size <= 0 ? 2048 : size;
        int cores = Runtime.getRuntime().availableProcessors();
        SplittableRandom random = new SplittableRandom(7);
        float[] values = new float[n * n];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        try (FloatPointer a = new FloatPointer(values); FloatPointer b = new FloatPointer(values);
                FloatPointer c = new FloatPointer((long) n * n)) {
            result.put("library", "OpenBLAS " + openblas_nolapack.OPENBLAS_VERSION.trim() + " (org.bytedeco.openblas cblas_sgemm)");
            result.put("n", n);
            result.put("threads_all", cores);
            result.put("gflops_1_thread", best(a, b, c, n, 1, calls));
            result.put("gflops_all_threads", best(a, b, c, n, cores, calls));
            result.put("gflops_peak", Math.max((double) result.get("gflops_1_thread"), (double) result.get("gflops_all_threads")));
        } finally {
            openblas_nolapack.blas_set_num_threads(cores);
        }
        return result;
    }

    private static double best(FloatPointer a, FloatPointer b, FloatPointer c, int n, int threads, int calls) {
        openblas_nolapack.blas_set_num_threads(threads);
        sgemm(a, b, c, n);
        long fastest = Long.MAX_VALUE;
        for (int i = 0; i < Math.max(1, calls); i++) {
            long start = System.nanoTime();
            sgemm(a, b, c, n);
            fastest = Math.min(fastest, System.nanoTime() - start);
        }
        return 2.0 * n * n * n / fastest;
    }

    private static void sgemm(FloatPointer a, FloatPointer b, FloatPointer c, int n) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans,
                n, n, n, 1f, a, n, b, n, 0f, c, n);
    }
}
