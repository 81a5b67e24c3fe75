package io.torchtpu.launcher;

import static io.torchtpu.launcher.TorchtpuCommandIT.fixture;
import static io.torchtpu.launcher.TorchtpuCommandIT.torchtpu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.launcher.TorchtpuCommandIT.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tpu feature from the packaged bin/torchtpu, on the real libtpu (the TPU backend's build fetched it) of a
 * machine without TPU chips: ahead-of-time compiles for the example vendor's generation, and models asked to load on
 * {@code tpu} served by the engine's fallback backend, or refused clearly without one.
 */
class TpuCommandIT {
    /** v5lite-vendor's published per-chip figures (v5e's): bf16 FLOP/s and HBM bytes per second. */
    private static final double VENDOR_PEAK_FLOPS = 197e12;
    private static final double VENDOR_HBM_BYTES_PER_SECOND = 819e9;
    private static final String NO_CHIPS = "backend tpu: no TPU chips to run on: looked for TPU device files";

    @BeforeAll
    static void thisMachineHasNoTpu() throws Exception {
        try (var dev = Files.list(Path.of("/dev"))) {
            org.junit.jupiter.api.Assumptions.assumeTrue(dev.noneMatch(f -> f.getFileName().toString().startsWith("accel")),
                    "this machine has TPU chips: nothing falls back");
        }
    }

    private static String vendorFeature() {
        return Path.of(System.getProperty("torchtpu.root"), "bundles/examples/vendor-bundle/tpuvendor.json").toString();
    }

    private static double number(Matcher m, int group) {
        return Double.parseDouble(m.group(group));
    }

    @Test
    void compilingForTheVendorsGenerationWritesTheExecutableAndEstimatesFromThatGenerationsFigures() throws Exception {
        Path out = Files.createTempDirectory("torchtpu-compile").resolve("mlp.pjrt");
        Result result = torchtpu("", "compile", fixture("mlp", "model.pt2"), "--target", "v5lite-vendor:2x2", "-f", vendorFeature(),
                "--repository", System.getProperty("torchtpu.vendor.repository"), "-o", out.toString());
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        String text = result.stdout();
        assertTrue(text.contains("generation v5lite-vendor from com.example.tpuvendor 0.1.0.SNAPSHOT (ranking 0): TPU v5lite-vendor"
                + " (example vendor board on v5e chips)\n"), text);
        // the vendor's generation is a board on v5e chips: libtpu compiles for its v5e topology
        assertTrue(text.contains("target tpu-v5lite-vendor:2x2: libtpu topology v5e:2x2, 4 device(s) of kind TPU v5 lite, 15.75 GiB HBM each"), text);

        Matcher executable = Pattern.compile("executable: ([0-9,]+) bytes serialized, compiled with v5lite-vendor's defaults"
                + " \\{xla_tpu_enable_latency_hiding_scheduler=true\\}").matcher(text);
        assertTrue(executable.find(), text);
        assertEquals(Long.parseLong(executable.group(1).replace(",", "")), Files.size(out), "the file holds the executable");
        assertTrue(Files.size(out) > 10_000, out + " is " + Files.size(out) + " bytes");

        // the MLP's f32 weights and input are the arguments: 32x128 + 128 + 128x64 + 64 + 64x10 + 10 + 4x32 floats
        Matcher memory = Pattern.compile("HBM per device: arguments ([0-9.]+) KiB, outputs ([0-9.]+) KiB \\(aliased 0 B\\),"
                + " temporaries [^,]+, code ([0-9.]+) MiB; total").matcher(text);
        assertTrue(memory.find(), text);
        assertTrue(number(memory, 1) > 50 && number(memory, 3) > 0, memory.group());

        Matcher cost = Pattern.compile("cost: (\\S+) FLOPs, (\\S+) bytes accessed").matcher(text);
        assertTrue(cost.find(), text);
        Matcher roofline = Pattern.compile("roofline step >= \\S+ s \\(memory-bound: compute (\\S+) s, memory (\\S+) s; \\S+ FLOP/B"
                + " vs ridge (\\S+)\\) \\(from v5lite-vendor's figures: 197 bf16 TFLOP/s, 819 GB/s HBM per chip\\)").matcher(text);
        assertTrue(roofline.find(), text);
        double flops = number(cost, 1);
        double bytes = number(cost, 2);
        assertTrue(flops > 50_000 && bytes > 200_000, cost.group());
        assertEquals(flops / VENDOR_PEAK_FLOPS, number(roofline, 1), 0.005 * flops / VENDOR_PEAK_FLOPS, roofline.group());
        assertEquals(bytes / VENDOR_HBM_BYTES_PER_SECOND, number(roofline, 2), 0.005 * bytes / VENDOR_HBM_BYTES_PER_SECOND, roofline.group());
        assertEquals(VENDOR_PEAK_FLOPS / VENDOR_HBM_BYTES_PER_SECOND, number(roofline, 3), 0.1, roofline.group());
        assertTrue(text.contains("wrote " + out.toAbsolutePath()), text);
    }

    @Test
    void aGenerationNoBundleProvidesIsRefusedNamingTheKnownOnes() throws Exception {
        Result result = torchtpu("", "compile", fixture("mlp", "model.pt2"), "--target", "v5lite-vendor:2x2");
        assertNotEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertTrue((result.stdout() + result.stderr()).contains("no TPU generation bundle for v5lite-vendor; the known generations are"
                + " v4, v5e, v5p, v6e, v7 (the features tpu and tpu-v4 ... tpu-v7 add the core ones; a vendor's comes with its bundle)"),
                result.stdout() + result.stderr());
    }

    @Test
    void aModelAskedToRunOnTpuWithoutChipsRunsOnTheFallbackWithCorrectNumbersAndSaysSo() throws Exception {
        Result result = torchtpu("", "verify", fixture("mlp", "model.pt2"), "--backend", "tpu", "-f", "tpu");
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("model.pt2 on cpu (requested tpu, which cannot serve it: the engine's fallback;"
                + " torchtpu:backends says why)\n"), result.stdout());
        assertTrue(result.stdout().contains("verify: PASS"), result.stdout());
        // the warning names the model, the backend asked for, the fallback and why (the log goes to stdout once Gogo runs)
        String log = result.stdout() + result.stderr();
        assertTrue(Pattern.compile("WARN +io\\.torchtpu\\.engine\\.EngineComponent - model verify-[0-9a-f]+: the requested backend tpu"
                + " cannot run, so it loads on the fallback backend cpu\\. Why: " + Pattern.quote(NO_CHIPS)).matcher(log).find(), log);
    }

    @Test
    void theShellShowsTheRequestedAndTheServingBackendAndASwapToTpuKeepsTheModelOnCpu() throws Exception {
        String model = fixture("mlp", "model.pt2");
        Result result = torchtpu("", "exec", "-f", "tpu", "-f", "cpu", "-f", "lowering", "-f", "engine", "-f", "pt2",
                "torchtpu:load mlp " + model + " tpu", "torchtpu:models", "torchtpu:stats", "torchtpu:swap mlp tpu");
        String out = result.stdout();
        assertEquals(1, result.exitCode(), "the swap reports an error: " + out + result.stderr());
        assertTrue(out.contains("loaded mlp on cpu (requested tpu, which cannot serve it"), out);
        assertTrue(out.contains("error: model mlp stays on cpu: " + NO_CHIPS), out);
        assertTrue(out.contains("mlp  on cpu (requested tpu, which cannot serve it: the engine's fallback; torchtpu:backends says why)"
                + "  [tensor<4x32xf32>] -> [tensor<4x10xf32>]"), out);
        assertTrue(out.matches("(?s).*\nmlp +cpu +tpu +0 +0 +1 .*"), out);
        // exec stops at the first error: the swap is last, and it left the model serving on cpu (verified in Felix)
    }

    @Test
    void withoutAFallbackTheLoadFailsNamingWhyTpuCannotRunAndTheFallbackSetting() throws Exception {
        Path config = Files.createTempFile("no-fallback", ".json");
        Files.writeString(config, "{\"io.torchtpu.engine\": {\"fallbackBackend\": \"\"}}");
        Result result = torchtpu("", "run", fixture("mlp", "model.pt2"), "--backend", "tpu", "-f", "tpu", "-c", config.toString());
        assertEquals(1, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(Pattern.compile("error: model \\S+ cannot load: " + Pattern.quote(NO_CHIPS) + ".*; no fallback backend is configured"
                + " \\(fallbackBackend of io\\.torchtpu\\.engine is empty\\)").matcher(result.stdout()).find(), result.stdout());
    }
}
