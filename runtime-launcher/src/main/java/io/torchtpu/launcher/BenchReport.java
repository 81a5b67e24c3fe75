package io.torchtpu.launcher;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.Locale;

/** The bench's results as a text table: every configuration, then per batch the product against libtorch's best. */
final class BenchReport {
    private BenchReport() {
    }

    static String table(JsonObject document) {
        StringBuilder text = new StringBuilder();
        text.append("bench ").append(document.getString("model")).append("\n  ").append(document.getString("cpu")).append(", ")
                .append(document.getInt("cores")).append(" cores\n");
        if (document.containsKey("sgemm")) {
            JsonObject sgemm = document.getJsonObject("sgemm");
            text.append(String.format(Locale.ROOT, "  sgemm peak %.1f GFLOP/s (n=%d; 1 thread %.1f, %d threads %.1f) %s%n",
                    BenchCli.number(sgemm, "gflops_peak"), sgemm.getInt("n"), BenchCli.number(sgemm, "gflops_1_thread"),
                    sgemm.getInt("threads_all"), BenchCli.number(sgemm, "gflops_all_threads"), sgemm.getString("library")));
        }
        text.append(String.format(Locale.ROOT, "%n  %-5s %-9s %-12s %3s %-8s %11s %7s %9s %9s %9s%n", "batch", "peer", "variant", "thr",
                "OMP", "items/s", "spread", "p50 ms", "p99 ms", "cpu ms"));
        for (JsonValue value : document.getJsonArray("rows")) {
            JsonObject row = value.asJsonObject();
            String threads = row.containsKey("threads") ? String.valueOf(row.getInt("threads")) : "-";
            String prefix = String.format(Locale.ROOT, "  %-5d %-9s %-12s %3s %-8s", row.getInt("batch"), row.getString("peer"),
                    row.getString("variant"), threads, row.getString("omp_wait_policy"));
            if (row.containsKey("error")) {
                text.append(prefix).append("  error: ").append(row.getString("error")).append('\n');
            } else {
                text.append(prefix).append(String.format(Locale.ROOT, " %11.1f %6.1f%% %9.3f %9.3f %9.3f%n", BenchCli.number(row, "throughput_per_s"),
                        BenchCli.number(row, "spread_pct"), BenchCli.number(row, "p50_ms"), BenchCli.number(row, "p99_ms"),
                        BenchCli.number(row, "cpu_ms_per_step")));
            }
        }
        text.append('\n');
        for (JsonValue value : document.getJsonArray("rows")) {
            JsonObject row = value.asJsonObject();
            if (row.getString("peer").equals("torchtpu") && row.containsKey("trace_ms")) {
                text.append(String.format(Locale.ROOT, "  torchtpu batch %d: trace %.0f ms, lower %.1f ms (warm %.1f ms), compile %.0f ms, "
                        + "load in the engine %.0f ms, %d nodes%n", row.getInt("batch"), BenchCli.number(row, "trace_ms"),
                        BenchCli.number(row, "lower_ms"), BenchCli.number(row, "lower_warm_ms"), BenchCli.number(row, "compile_ms"),
                        BenchCli.number(row, "load_ms"), row.getInt("graph_nodes")));
            }
        }
        for (JsonValue value : document.getJsonArray("processes")) {
            JsonObject process = value.asJsonObject();
            text.append(String.format(Locale.ROOT, "  peak RSS of the process that measured %s (OMP_WAIT_POLICY=%s): %.0f MiB%n",
                    process.getString("measured", "?"), process.getString("omp_wait_policy"), BenchCli.number(process, "peak_rss_mib")));
        }
        for (JsonValue value : document.getJsonArray("contention")) {
            JsonObject contention = value.asJsonObject();
            text.append(String.format(Locale.ROOT, "  one process, OMP_WAIT_POLICY=%s, batch %d: torchtpu p50 %.3f ms alone, %.3f ms right after "
                    + "a libtorch forward%n", contention.getString("omp_wait_policy"), contention.getInt("batch"),
                    BenchCli.number(contention.getJsonObject("alone"), "p50_ms"),
                    BenchCli.number(contention.getJsonObject("after_libtorch"), "p50_ms")));
        }
        if (document.containsKey("jax")) {
            text.append("  JAX peer: ").append(document.getString("jax")).append('\n');
        }
        text.append('\n');
        for (JsonValue value : document.getJsonArray("summary")) {
            JsonObject line = value.asJsonObject();
            text.append(String.format(Locale.ROOT, "  batch %d: torchtpu %.1f/s, libtorch best %.1f/s (%s): ratio %.2fx; "
                    + "torchtpu %.2f GFLOP/s = %.1f%% of the sgemm peak%n", line.getInt("batch"), BenchCli.number(line, "torchtpu_per_s"),
                    BenchCli.number(line, "libtorch_best_per_s"), line.getString("libtorch_best", "none"), BenchCli.number(line, "ratio"),
                    BenchCli.number(line, "torchtpu_gflops"), BenchCli.number(line, "torchtpu_pct_of_sgemm_peak")));
            if (line.containsKey("libtorch_best_pct_of_sgemm_peak")) {
                // the peer's share beside ours says how matmul-bound the model is on this machine
                text.append(String.format(Locale.ROOT, "           libtorch at its best %.2f GFLOP/s = %.1f%% of the sgemm peak%n",
                        BenchCli.number(line, "libtorch_best_gflops"), BenchCli.number(line, "libtorch_best_pct_of_sgemm_peak")));
            }
            if (line.containsKey("jax_per_s")) {
                text.append(String.format(Locale.ROOT, "           JAX on the same plugin and StableHLO %.1f/s (%s): torchtpu %.2fx%n",
                        BenchCli.number(line, "jax_per_s"), line.getString("jax"), BenchCli.number(line, "ratio_to_jax")));
            }
        }
        return text.toString();
    }
}
