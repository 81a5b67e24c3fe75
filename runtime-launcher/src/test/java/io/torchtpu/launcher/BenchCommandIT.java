package io.torchtpu.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** torchtpu bench, as short as it goes: one iteration per figure, one policy, one libtorch variant; the JSON is complete. */
class BenchCommandIT {

    @Test
    void benchRunsOneShortIterationAndWritesValidJson(@TempDir Path temp) throws Exception {
        Path model = Path.of(System.getProperty("torchtpu.root"), "bnd-workspace/src/test/resources/models/mlp/model.pt");
        Path json = temp.resolve("results/mlp.json");
        Path png = temp.resolve("mlp.png");
        List<String> command = List.of(ContainerOptions.defaultHome().resolve("bin/torchtpu").toString(), "bench", model.toString(),
                "--batch", "1,2", "--seconds", "0", "--policies", "PASSIVE", "--threads", "1", "--variants", "frozen",
                "--json", json.toString(), "--plot", png.toString());
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(180, TimeUnit.SECONDS), "bench finishes");
        assertEquals(0, process.exitValue(), stdout);
        assertTrue(stdout.contains("libtorch best"), stdout);
        assertTrue(stdout.matches("(?s).*libtorch at its best [0-9.]+ GFLOP/s = [0-9.]+% of the sgemm peak.*"), stdout);

        JsonObject document;
        try (JsonReader reader = Json.createReader(Files.newBufferedReader(json))) {
            document = reader.readObject();
        }
        assertTrue(document.getJsonObject("sgemm").getJsonNumber("gflops_peak").doubleValue() > 0, document.toString());
        List<JsonObject> rows = document.getJsonArray("rows").stream().map(JsonValue::asJsonObject).toList();
        assertEquals(2, rows.stream().filter(r -> r.getString("peer").equals("torchtpu")).count(), document.toString());
        assertEquals(2, rows.stream().filter(r -> r.getString("peer").equals("libtorch")).count(), document.toString());
        for (JsonObject row : rows) {
            assertTrue(row.getJsonNumber("throughput_per_s").doubleValue() > 0, row.toString());
            assertTrue(row.getJsonNumber("p99_ms").doubleValue() >= row.getJsonNumber("p50_ms").doubleValue(), row.toString());
        }
        JsonObject product = rows.stream().filter(r -> r.getString("peer").equals("torchtpu")).findFirst().orElseThrow();
        for (String phase : List.of("trace_ms", "lower_ms", "compile_ms")) {
            assertTrue(product.getJsonNumber(phase).doubleValue() > 0, phase + " in " + product);
        }
        assertTrue(document.getJsonArray("processes").getJsonObject(0).getJsonNumber("peak_rss_mib").doubleValue() > 0);
        JsonObject batch1 = document.getJsonArray("summary").getJsonObject(0);
        assertTrue(batch1.getJsonNumber("ratio").doubleValue() > 0, batch1.toString());
        assertTrue(batch1.getString("libtorch_best").startsWith("frozen, 1 thread(s), OMP_WAIT_POLICY=PASSIVE"), batch1.toString());
        byte[] signature = Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, signature);
    }

    private static JsonObject bench(Path temp, String jaxPython) throws Exception {
        Path model = Path.of(System.getProperty("torchtpu.root"), "bnd-workspace/src/test/resources/models/mlp/model.pt");
        Path json = temp.resolve("mlp-jax.json");
        List<String> command = List.of(ContainerOptions.defaultHome().resolve("bin/torchtpu").toString(), "bench", model.toString(),
                "--batch", "1,2", "--seconds", "0", "--policies", "PASSIVE", "--threads", "1", "--variants", "frozen",
                "--jax-python", jaxPython, "--json", json.toString());
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(180, TimeUnit.SECONDS), "bench finishes");
        assertEquals(0, process.exitValue(), stdout);
        try (JsonReader reader = Json.createReader(Files.newBufferedReader(json))) {
            return reader.readObject();
        }
    }

    @Test
    void withoutJaxTheReportSaysHowToAddThePeer(@TempDir Path temp) throws Exception {
        JsonObject document = bench(temp, "/nonexistent/python3");
        assertEquals("skipped: /nonexistent/python3 has no jax module (pip install jax, or --jax-python PYTHON)",
                document.getString("jax"));
        assertTrue(document.getJsonArray("rows").stream().noneMatch(r -> r.asJsonObject().getString("peer").equals("jax")));
    }

    /** JAX runs the product's own StableHLO on the same plugin; CI makes its Python with runtime-launcher/scripts/fetch-jax.sh. */
    @Test
    void jaxRunsTheSameStableHloOnTheSamePlugin(@TempDir Path temp) throws Exception {
        String cache = System.getenv().getOrDefault("TORCHTPU_CACHE", System.getProperty("user.home") + "/.cache/torchtpu");
        Path python = Path.of(cache, "jax-venv/bin/python");
        Assumptions.assumeTrue(Files.isExecutable(python), "no " + python + ": runtime-launcher/scripts/fetch-jax.sh makes it");
        JsonObject document = bench(temp, python.toString());
        assertTrue(document.getString("jax").matches("jax [0-9.]+ on .*pjrt_c_api_cpu_plugin\\.so"), document.getString("jax"));
        List<JsonObject> jax = document.getJsonArray("rows").stream().map(JsonValue::asJsonObject)
                .filter(r -> r.getString("peer").equals("jax")).toList();
        assertEquals(List.of(1, 2), jax.stream().map(r -> r.getInt("batch")).toList(), document.toString());
        for (JsonObject row : jax) {
            assertTrue(row.getJsonNumber("throughput_per_s").doubleValue() > 0, row.toString());
        }
        assertTrue(document.getJsonArray("summary").getJsonObject(0).getJsonNumber("ratio_to_jax").doubleValue() > 0, document.toString());
    }
}
