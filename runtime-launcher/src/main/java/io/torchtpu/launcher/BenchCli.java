package io.torchtpu.launcher;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.JsonWriter;
import jakarta.json.JsonWriterFactory;
import jakarta.json.stream.JsonGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code torchtpu bench}: runs {@code torchtpu:bench} in one child process per OpenMP wait policy (libgomp
 * reads OMP_WAIT_POLICY once, when it starts), one after the other so they never share the cores, and
 * merges what they print into one table, one JSON file and one chart.
 */
final class BenchCli {
    static final List<String> BENCH_FEATURES = List.of("cpu", "lowering", "engine", "libtorch", "torchscript", "pt2", "bench");
    private static final String PREFIX = "BENCH-JSON ";

    private BenchCli() {
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = {"Measures a TorchScript model on a backend beside libtorch running the same file, in the same run:",
                "throughput and latency (p50, p99) per batch size with the spread of 5 rounds, trace/lower/compile times,",
                "GFLOP/s of its matrix products against the sgemm peak of the OpenBLAS that Bytedeco ships (measured now),",
                "and peak resident memory. libtorch runs in each of its Java ways (interpreted, torchscript, frozen,",
                "optimized) on 1 thread and on all cores, under OMP_WAIT_POLICY=PASSIVE and ACTIVE (one child process each),",
                "and the product is compared with the fastest, which is named. Inputs: inputs.safetensors beside MODEL,",
                "repeated along the first dimension to the batch size. A model traced at one batch size (tracing bakes it into",
                "some, such as GPT-2's causal mask) can sit beside MODEL as model-b32.pt: every peer runs that file at batch 32.",
                "The 'cpu ms' column is the process's CPU time per step over all threads: steadier than wall time on a shared machine.",
                "Example: torchtpu bench models/bert/model.pt --batch 1,8,32 --json bert.json --plot bert.png"})
    static final class Bench implements Callable<Integer> {
        @Mixin
        Main.ContainerArgs args;

        @Parameters(index = "0", paramLabel = "MODEL", description = "A TorchScript archive (.pt) with inputs.safetensors beside it.")
        Path model;

        @Option(names = "--backend", defaultValue = "cpu", paramLabel = "ID", description = "The backend (default: ${DEFAULT-VALUE}).")
        String backend;

        @Option(names = "--batch", defaultValue = "1,8,32", paramLabel = "N,N...", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
        String batches;

        @Option(names = "--seconds", defaultValue = "2", paramLabel = "S",
                description = "Measuring time per figure, after warm-up (default: ${DEFAULT-VALUE}); 0 runs one iteration of each.")
        double seconds;

        @Option(names = "--threads", paramLabel = "N,N...", description = "libtorch intra-op thread counts (default: 1 and all cores).")
        String threads;

        @Option(names = "--variants", defaultValue = "interpreted,torchscript,frozen,optimized", paramLabel = "V,V...",
                description = "libtorch variants (default: ${DEFAULT-VALUE}).")
        String variants;

        @Option(names = "--policies", defaultValue = "PASSIVE,ACTIVE", paramLabel = "P,P...",
                description = "OpenMP wait policies, one child process each; 'unset' for libgomp's default (default: ${DEFAULT-VALUE}).")
        String policies;

        @Option(names = "--jax-python", defaultValue = "python3", paramLabel = "PYTHON",
                description = "A Python with jax: JAX then runs the product's own StableHLO on the same XLA CPU plugin as a second "
                        + "peer (skipped, and said so, where it has no jax; 'none' skips it) (default: ${DEFAULT-VALUE}).")
        String jaxPython;

        @Option(names = "--json", paramLabel = "FILE", description = "Writes the results as JSON.")
        Path json;

        @Option(names = "--plot", paramLabel = "FILE.png", description = "Writes a chart of throughput per batch size.")
        Path plot;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            int cores = Runtime.getRuntime().availableProcessors();
            String threadCounts = threads != null ? threads : cores == 1 ? "1" : "1," + cores;
            List<String> policyList = Arrays.stream(policies.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            List<JsonObject> children = new ArrayList<>();
            // libtorch in one process per wait policy (then, in the same process, the product right after libtorch
            // ran: whether their thread pools fight); the product and the sgemm peak in a process of their own
            List<String[]> runs = new ArrayList<>();
            policyList.forEach(policy -> runs.add(new String[] {policy, "libtorch,contention"}));
            runs.add(new String[] {"PASSIVE", "product,sgemm"});
            JaxPeer jax = JaxPeer.find(jaxPython, backend);
            for (String[] run : runs) {
                String line = String.join(" ", "torchtpu:bench", ModelCli.quoted(model), backend, batches,
                        String.valueOf(seconds), run[1], threadCounts, variants);
                err.println("bench: OMP_WAIT_POLICY=" + run[0] + ": " + run[1]);
                err.flush();
                children.add(runChild(line, run[0], run[1].startsWith("product") ? jax.exportEnvironment() : Map.of(), err));
            }
            jax.measure(seconds, err).ifPresent(children::add);
            JsonObject merged = merge(children, cores, jax.status());
            out.print(BenchReport.table(merged));
            out.flush();
            if (json != null) {
                writeJson(merged, json);
                out.println("written " + json);
            }
            if (plot != null) {
                BenchChart.write(merged, plot);
                out.println("written " + plot);
            }
            out.flush();
            return 0;
        }

        /** Runs one child container with the bench feature under a wait policy; returns what it printed as JSON. */
        private JsonObject runChild(String commandLine, String policy, Map<String, String> environment, PrintWriter err)
                throws IOException, InterruptedException {
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "exec"));
            for (String feature : BENCH_FEATURES) {
                command.addAll(List.of("-f", feature));
            }
            args.features.forEach(f -> command.addAll(List.of("-f", f)));
            if (args.config != null) {
                command.addAll(List.of("--config", args.config.toString()));
            }
            args.repositories.forEach(r -> command.addAll(List.of("--repository", r.toString())));
            args.featureDirectories.forEach(d -> command.addAll(List.of("--features-dir", d.toString())));
            command.add(commandLine);
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().putAll(environment);
            if (policy.equalsIgnoreCase("unset")) {
                builder.environment().remove("OMP_WAIT_POLICY");
            } else {
                builder.environment().put("OMP_WAIT_POLICY", policy.toUpperCase(Locale.ROOT));
            }
            ChildResult result = ChildResult.of(builder.start(), PREFIX);
            return result.document().orElseThrow(() -> new FeatureException("bench: the child process (OMP_WAIT_POLICY=" + policy
                    + ") exited with " + result.exit() + " and printed no results: " + result.output().strip()));
        }
    }

    /** What a child process printed and how it ended; its results are the JSON after {@code prefix} on one line. */
    record ChildResult(int exit, String output, Optional<JsonObject> document) {
        static ChildResult of(Process process, String prefix) throws IOException, InterruptedException {
            String output;
            try (InputStream stdout = process.getInputStream()) {
                output = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
            }
            int exit = process.waitFor();
            Optional<JsonObject> document = output.lines().filter(l -> l.startsWith(prefix)).findFirst().map(line -> {
                try (JsonReader reader = Json.createReader(new StringReader(line.substring(prefix.length())))) {
                    return reader.readObject();
                }
            });
            return new ChildResult(exit, output, document);
        }
    }

    /** One document: every row with its process's wait policy, the sgemm peak, and per batch the product against libtorch's best. */
    static JsonObject merge(List<JsonObject> children, int cores) {
        return merge(children, cores, "not asked for");
    }

    /** As {@link #merge(List, int)}, with what became of the JAX peer ({@code jaxStatus}). */
    static JsonObject merge(List<JsonObject> children, int cores, String jaxStatus) {
        JsonObjectBuilder document = Json.createObjectBuilder();
        JsonObject first = children.get(0);
        document.add("model", first.getString("model"));
        document.add("date", Instant.now().toString());
        document.add("cores", cores);
        document.add("cpu", cpuModel());
        Optional<JsonObject> sgemm = children.stream().filter(c -> c.containsKey("sgemm")).map(c -> c.getJsonObject("sgemm")).findFirst();
        sgemm.ifPresent(value -> document.add("sgemm", value));
        JsonArrayBuilder processes = Json.createArrayBuilder();
        JsonArrayBuilder rows = Json.createArrayBuilder();
        JsonArrayBuilder contention = Json.createArrayBuilder();
        List<JsonObject> allRows = new ArrayList<>();
        for (JsonObject child : children) {
            String policy = child.getString("omp_wait_policy");
            processes.add(Json.createObjectBuilder().add("omp_wait_policy", policy).add("measured", child.getString("parts", ""))
                    .add("peak_rss_mib", child.getJsonNumber("peak_rss_mib")));
            for (JsonValue value : child.getJsonArray("rows")) {
                JsonObject row = value.asJsonObject();
                if (row.containsKey("contention")) {
                    contention.add(Json.createObjectBuilder(row.getJsonObject("contention")).add("batch", row.getInt("batch")));
                }
                if (row.containsKey("iterations") || row.containsKey("error")) {
                    JsonObjectBuilder withPolicy = Json.createObjectBuilder(row).add("omp_wait_policy", policy);
                    withPolicy.remove("contention");
                    JsonObject complete = withPolicy.build();
                    allRows.add(complete);
                    rows.add(complete);
                }
            }
        }
        document.add("processes", processes);
        document.add("rows", rows);
        document.add("contention", contention);
        double peak = sgemm.map(value -> value.getJsonNumber("gflops_peak").doubleValue()).orElse(Double.NaN);
        document.add("jax", jaxStatus);
        document.add("summary", summary(allRows, peak));
        return document.build();
    }

    /** Per batch: the product, libtorch's fastest configuration (named), the ratio, and GFLOP/s against the peak. */
    private static JsonArray summary(List<JsonObject> rows, double sgemmPeak) {
        JsonArrayBuilder summary = Json.createArrayBuilder();
        List<Integer> batches = rows.stream().map(r -> r.getInt("batch")).distinct().sorted().toList();
        for (int batch : batches) {
            Optional<JsonObject> ours = rows.stream().filter(r -> r.getInt("batch") == batch && r.getString("peer").equals("torchtpu")
                    && r.containsKey("throughput_per_s")).findFirst();
            Optional<JsonObject> best = rows.stream().filter(r -> r.getInt("batch") == batch && r.getString("peer").equals("libtorch")
                    && r.containsKey("throughput_per_s")).max(Comparator.comparingDouble(r -> number(r, "throughput_per_s")));
            JsonObjectBuilder line = Json.createObjectBuilder().add("batch", batch);
            ours.ifPresent(o -> {
                put(line, "torchtpu_per_s", number(o, "throughput_per_s"));
                put(line, "torchtpu_p50_ms", number(o, "p50_ms"));
                put(line, "torchtpu_p99_ms", number(o, "p99_ms"));
                put(line, "torchtpu_spread_pct", number(o, "spread_pct"));
                double gflops = number(o, "flops_per_batch") * number(o, "throughput_per_s") / batch / 1e9;
                put(line, "torchtpu_gflops", gflops);
                put(line, "torchtpu_pct_of_sgemm_peak", gflops / sgemmPeak * 100);
            });
            best.ifPresent(b -> {
                line.add("libtorch_best", b.getString("variant") + ", " + b.getInt("threads") + " thread(s), OMP_WAIT_POLICY="
                        + b.getString("omp_wait_policy"));
                put(line, "libtorch_best_per_s", number(b, "throughput_per_s"));
                put(line, "libtorch_best_p50_ms", number(b, "p50_ms"));
                put(line, "libtorch_best_p99_ms", number(b, "p99_ms"));
                put(line, "libtorch_best_spread_pct", number(b, "spread_pct"));
                ours.ifPresent(o -> {
                    put(line, "ratio", number(o, "throughput_per_s") / number(b, "throughput_per_s"));
                    double gflops = number(o, "flops_per_batch") * number(b, "throughput_per_s") / batch / 1e9;
                    put(line, "libtorch_best_gflops", gflops);
                    put(line, "libtorch_best_pct_of_sgemm_peak", gflops / sgemmPeak * 100);
                });
            });
            rows.stream().filter(r -> r.getInt("batch") == batch && r.getString("peer").equals("jax") && r.containsKey("throughput_per_s"))
                    .findFirst().ifPresent(j -> {
                        line.add("jax", j.getString("variant"));
                        put(line, "jax_per_s", number(j, "throughput_per_s"));
                        put(line, "jax_p50_ms", number(j, "p50_ms"));
                        ours.ifPresent(o -> put(line, "ratio_to_jax", number(o, "throughput_per_s") / number(j, "throughput_per_s")));
                    });
            summary.add(line);
        }
        return summary.build();
    }

    /** JSON has no NaN: a figure that cannot be computed is left out. */
    private static void put(JsonObjectBuilder object, String key, double value) {
        if (Double.isFinite(value)) {
            object.add(key, value);
        }
    }

    static double number(JsonObject object, String key) {
        JsonValue value = object.get(key);
        return value instanceof JsonNumber n ? n.doubleValue() : Double.NaN;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static void writeJson(JsonObject document, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JsonWriterFactory factory = Json.createWriterFactory(Map.of(JsonGenerator.PRETTY_PRINTING, true));
        try (JsonWriter writer = factory.createWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            writer.writeObject(document);
        }
    }
}
