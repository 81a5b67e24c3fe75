package io.torchtpu.launcher;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * JAX as the bench's second peer: the product's child process writes each batch's lowered StableHLO and its
 * arguments, and {@code jax_peer.py} runs them through JAX on the same XLA CPU PJRT plugin. Where no Python with
 * jax is found the peer is skipped, and the report says why.
 */
final class JaxPeer {
    private static final String SCRIPT = "jax_peer.py";
    private static final String PREFIX = "jax-bench: ";

    private final String python;
    private final Path directory;
    private String status;

    private JaxPeer(String python, Path directory, String status) {
        this.python = python;
        this.directory = directory;
        this.status = status;
    }

    /** The peer for this run, or one that only says why it is skipped. */
    static JaxPeer find(String python, String backend) throws IOException, InterruptedException {
        if (python == null || python.isBlank() || python.equals("none")) {
            return new JaxPeer(null, null, "skipped: --jax-python none");
        }
        if (!backend.startsWith("cpu")) {
            return new JaxPeer(null, null, "skipped: JAX runs on the XLA CPU plugin, and this bench measures backend " + backend);
        }
        Optional<String> version = jaxVersion(python);
        if (version.isEmpty()) {
            return new JaxPeer(null, null, "skipped: " + python + " has no jax module (pip install jax, or --jax-python PYTHON)");
        }
        return new JaxPeer(python, Files.createTempDirectory("torchtpu-bench-jax"), "jax " + version.get() + " via " + python);
    }

    private static Optional<String> jaxVersion(String python) throws InterruptedException {
        try {
            Process process = new ProcessBuilder(python, "-c", "import jax; print(jax.__version__)").redirectErrorStream(true).start();
            String output;
            try (InputStream out = process.getInputStream()) {
                output = new String(out.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return process.exitValue() == 0 && !output.isEmpty() ? Optional.of(output.lines().reduce((a, b) -> b).orElse(output)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // no such program
        }
    }

    /** What the product's child needs in its environment to write the programs JAX runs. */
    Map<String, String> exportEnvironment() {
        return directory == null ? Map.of() : Map.of("TORCHTPU_BENCH_EXPORT", directory.toString());
    }

    /** What became of the peer: its version, or why it was skipped or failed. */
    String status() {
        return status;
    }

    /** Runs JAX on what the product wrote: a child-like document with one row per batch, or empty when skipped or failed. */
    Optional<JsonObject> measure(double seconds, PrintWriter err) throws IOException, InterruptedException {
        if (directory == null) {
            return Optional.empty();
        }
        try {
            Path script = directory.resolve(SCRIPT);
            try (InputStream source = JaxPeer.class.getResourceAsStream(SCRIPT)) {
                if (source == null) {
                    throw new IOException("the launcher jar has no " + SCRIPT);
                }
                Files.copy(source, script);
            }
            err.println("bench: JAX (" + status + ") on the same StableHLO");
            err.flush();
            List<String> command = new ArrayList<>(List.of(python, script.toString(), directory.toString(), String.valueOf(seconds)));
            BenchCli.ChildResult child = BenchCli.ChildResult.of(
                    new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start(), PREFIX);
            if (child.document().isEmpty()) {
                status = "failed: " + SCRIPT + " exited with " + child.exit() + " and printed no results";
                return Optional.empty();
            }
            JsonObject result = child.document().get();
            status = "jax " + result.getString("jax") + " on " + result.getString("plugin");
            return Optional.of(Json.createObjectBuilder().add("model", "").add("omp_wait_policy", "-").add("parts", "jax")
                    .add("peak_rss_mib", result.getJsonNumber("peak_rss_mib")).add("rows", result.getJsonArray("rows")).build());
        } finally {
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
