package io.torchtpu.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs the packaged bin/torchtpu as a user would, in its own JVM. */
class TorchtpuCommandIT {
    record Result(int exitCode, String stdout, String stderr) {
    }

    static Result torchtpu(String stdin, String... args) throws IOException, InterruptedException {
        return torchtpu(Map.of(), stdin, args);
    }

    static Result torchtpu(Map<String, String> environment, String stdin, String... args) throws IOException, InterruptedException {
        Path script = ContainerOptions.defaultHome().resolve("bin/torchtpu");
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder.start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        var stdout = process.getInputStream().readAllBytes();
        var stderr = process.getErrorStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("torchtpu " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Result(process.exitValue(), new String(stdout, StandardCharsets.UTF_8),
                new String(stderr, StandardCharsets.UTF_8));
    }

    @Test
    void theShellListsTheInstalledBundlesAndAddsAFeature() throws Exception {
        Result result = torchtpu("lb\ntorchtpu:feature add libtorch\nlb\nstop 0\n", "shell");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("Apache Felix Declarative Services"), result.stdout());
        assertTrue(result.stdout().contains("Apache Felix Gogo Shell"), result.stdout());
        assertTrue(result.stdout().contains("TorchTPU API"), result.stdout());
        assertTrue(result.stdout().contains("feature libtorch added"), result.stdout());
        assertTrue(result.stdout().contains("Bytedeco PyTorch (libtorch) for OSGi"),
                "the second lb shows the bundle the feature added: " + result.stdout());
    }

    @Test
    void theDemoRunsAnMlpOnTheCpuPluginBesideLibtorch() throws Exception {
        Result result = torchtpu("", "demo");
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("cpu  ranking 0  XLA CPU"), result.stdout());
        assertTrue(result.stdout().contains("row 3  torchtpu ["), result.stdout());
        assertTrue(result.stdout().contains("over 32 values: match"), result.stdout());
        assertTrue(!result.stdout().contains("Warning: Version of org.bytedeco"), "JavaCPP finds the presets' versions: " + result.stdout());
    }

    @Test
    void execRunsGogoCommandsAndReportsAMissingBackend() throws Exception {
        Result result = torchtpu("", "exec", "-f", "demo", "-f", "libtorch", "torchtpu:mlp tpu-v9");
        assertEquals(1, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("error: no backend 'tpu-v9'"), result.stdout());
    }

    @Test
    void logLinesWrittenDuringACommandGoToStderrNotIntoItsOutput() throws Exception {
        Result result = torchtpu("", "exec", "-f", "cpu", "-f", "demo", "-f", "libtorch", "torchtpu:mlp cpu");
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        // the CPU backend logs its kernel library choice while the command compiles, on the command's thread
        assertTrue(result.stderr().contains("KernelLibraryTuning - backend cpu: a program ran in"), result.stderr());
        assertTrue(!result.stdout().contains("KernelLibraryTuning"), result.stdout());
        assertTrue(result.stdout().contains("over 32 values: match"), result.stdout());
    }

    static String fixture(String model, String file) {
        return Path.of(System.getProperty("torchtpu.root"), "bnd-workspace/src/test/resources/models", model, file).toString();
    }

    @Test
    void verifyChecksATorchScriptModelAgainstLibtorch() throws Exception {
        Result result = torchtpu("", "verify", fixture("mlp", "model.pt"));
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("reference: libtorch (torchscript)"), result.stdout());
        assertTrue(result.stdout().matches("(?s).*output0 +\\[4, 10\\] +f32 .* PASS.*"), result.stdout());
        assertTrue(result.stdout().contains("verify: PASS"), result.stdout());
    }

    @Test
    void aTorchScriptModelTracesAtTheBatchSizeTheUserGives() throws Exception {
        Result result = torchtpu("", "verify", fixture("mlp", "model.pt"), "--input-shape", "8x32:f32");
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("inputs: random"), result.stdout());
        assertTrue(result.stdout().matches("(?s).*output0 +\\[8, 10\\] +f32 .* PASS.*"), result.stdout());
    }

    @Test
    void verifyChecksAnExportedProgramAgainstItsStoredReference() throws Exception {
        Result result = torchtpu("", "verify", fixture("mlp", "model.pt2"));
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("reference.safetensors"), result.stdout());
        assertTrue(result.stdout().contains("verify: PASS"), result.stdout());
    }

    @Test
    void runWritesItsOutputsToAFileAndVerifyFailsOnAWrongReference() throws Exception {
        Path work = Files.createTempDirectory("torchtpu-run");
        Path outputs = work.resolve("outputs.npz");
        Result run = torchtpu("", "run", fixture("mlp", "model.pt2"), "--inputs", fixture("mlp", "inputs.safetensors"),
                "--output", outputs.toString());
        assertEquals(0, run.exitCode(), run.stdout() + run.stderr());
        assertTrue(Files.size(outputs) > 0, "the outputs file is written");
        assertTrue(run.stdout().contains("output0 tensor<4x10xf32>"), run.stdout());

        // a copy of the model whose stored reference is another model's output: verify must say FAIL
        Files.copy(Path.of(fixture("mlp", "model.pt2")), work.resolve("model.pt2"));
        Files.copy(Path.of(fixture("mlp", "inputs.safetensors")), work.resolve("inputs.safetensors"));
        Files.copy(Path.of(fixture("resnet18", "reference.safetensors")), work.resolve("reference.safetensors"));
        Result verify = torchtpu("", "verify", work.resolve("model.pt2").toString());
        assertEquals(1, verify.exitCode(), verify.stdout() + verify.stderr());
        assertTrue(verify.stdout().contains("verify: FAIL"), verify.stdout());
    }

    @Test
    void cacheListsTheCompiledExecutablesAndClearsThem() throws Exception {
        Path config = Files.createTempFile("cache-config", ".json");
        Path cache = Files.createTempDirectory("torchtpu-cache");
        Files.writeString(config, "{\"io.torchtpu.engine\": {\"cacheDirectory\": \"" + cache + "\"}}");
        assertEquals(0, torchtpu("", "run", "-c", config.toString(), fixture("mlp", "model.pt2")).exitCode());
        Result listed = torchtpu("", "cache", "-c", config.toString());
        assertEquals(0, listed.exitCode(), listed.stdout() + listed.stderr());
        assertTrue(listed.stdout().contains("compile cache " + cache) && listed.stdout().contains(".exe"), listed.stdout());
        Result cleared = torchtpu("", "cache", "-c", config.toString(), "clear");
        assertTrue(cleared.stdout().contains("deleted 1 cached executables"), cleared.stdout());
    }

    @Test
    void executablesCompiledUnderOtherXlaFlagsAreOtherCacheEntries() throws Exception {
        Path config = Files.createTempFile("cache-config", ".json");
        Path cache = Files.createTempDirectory("torchtpu-cache");
        Files.writeString(config, "{\"io.torchtpu.engine\": {\"cacheDirectory\": \"" + cache + "\"}}");
        Map<String, String> noFlags = Map.of("XLA_FLAGS", "");
        assertEquals(0, torchtpu(noFlags, "", "run", "-c", config.toString(), fixture("mlp", "model.pt2")).exitCode());
        assertEquals(0, torchtpu(noFlags, "", "run", "-c", config.toString(), fixture("mlp", "model.pt2")).exitCode());
        assertEquals(1, cachedExecutables(config), "a second run with the same flags hits the cache");
        Result flagged = torchtpu(Map.of("XLA_FLAGS", "--xla_cpu_enable_fast_math=false"), "", "run", "-c", config.toString(),
                fixture("mlp", "model.pt2"));
        assertEquals(0, flagged.exitCode(), flagged.stdout() + flagged.stderr());
        assertEquals(2, cachedExecutables(config), "XLA_FLAGS changes what XLA compiles, so it is part of the key");
    }

    private static long cachedExecutables(Path config) throws Exception {
        Result listed = torchtpu("", "cache", "-c", config.toString());
        assertEquals(0, listed.exitCode(), listed.stdout() + listed.stderr());
        return listed.stdout().lines().filter(line -> line.contains(".exe")).count();
    }

    @Test
    void aMissingModelIsOneClearError() throws Exception {
        Result result = torchtpu("", "run", "/nonexistent/model.pt2");
        assertEquals(1, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("error: /nonexistent/model.pt2: no such file"), result.stdout());
    }

    @Test
    void featuresListsWhatIsActive() throws Exception {
        Result result = torchtpu("", "features");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("* core  (active)"), result.stdout());
        assertTrue(result.stdout().contains("org.apache.felix.scr 2.2.14 [active]"), result.stdout());
        assertTrue(result.stdout().contains("  shell  "), "known but inactive features are listed: " + result.stdout());
    }

    @Test
    void anUnknownFeatureIsOneClearLineAndExitCode2() throws Exception {
        Result result = torchtpu("", "features", "-f", "warp-drive");
        assertEquals(2, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stderr().contains("torchtpu: no feature named 'warp-drive': known features are ")
                && result.stderr().contains(" core,"), result.stderr());
    }

    @Test
    void helpTeachesTheCommands() throws Exception {
        Result result = torchtpu("", "--help");
        assertEquals(0, result.exitCode());
        assertTrue(result.stdout().contains("features") && result.stdout().contains("shell"), result.stdout());
        assertTrue(result.stdout().contains("Examples:"), result.stdout());
    }
}
