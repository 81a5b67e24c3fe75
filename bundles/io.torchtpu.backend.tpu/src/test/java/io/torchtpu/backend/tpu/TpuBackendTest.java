package io.torchtpu.backend.tpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.lang.annotation.Annotation;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TpuBackendTest {

    private static TpuBackend.Config config(String plugin) {
        return new TpuBackend.Config() {
            @Override public Class<? extends Annotation> annotationType() { return TpuBackend.Config.class; }
            @Override public String plugin() { return plugin; }
            @Override public boolean metadataServer() { return false; }
            @Override public String alternative() { return "cpu"; }
        };
    }

    @Test
    void libtpuLoadsOffTheNetworkAndReportsItsPjrtVersion() {
        PjrtPlugin libtpu = TpuTestSupport.libtpu();
        assertEquals(0, libtpu.apiMajorVersion());
        assertTrue(libtpu.apiMinorVersion() >= PjrtPlugin.bridgeApiVersion()[1], libtpu.apiVersion());
        assertEquals("1", PjrtPlugin.environmentInEffect("TPU_SKIP_MDS_QUERY"), "no metadata server queries");
        assertTrue(libtpu.attributes().containsKey("xla_version"), libtpu.attributes().toString());
    }

    @Test
    void withoutChipsTheBackendSaysWhatItLookedForWhatItFoundAndWhatToUseInstead() {
        Assumptions.assumeTrue(Libtpu.deviceFiles().isEmpty(), "this machine has TPU device files: " + Libtpu.deviceFiles());
        TpuBackend backend = new TpuBackend();
        backend.activate(config(""));
        try {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, backend::runtime);
            String m = e.getMessage();
            assertTrue(m.contains("/dev/accel") && m.contains("found none"), m);
            assertTrue(m.contains("PJRT C API 0."), m);
            assertTrue(m.contains("backend cpu"), m);
            assertTrue(backend.description().contains("unavailable"), backend.description());
            assertTrue(backend.plugin().isPresent(), "libtpu stays loaded for ahead-of-time compiles");
        } finally {
            backend.deactivate();
        }
    }

    @Test
    void aMissingLibtpuNamesTheFetchScript() {
        TpuBackend backend = new TpuBackend();
        backend.activate(config("/nonexistent/libtpu.so"));
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, backend::runtime);
        assertTrue(e.getMessage().contains("fetch-libtpu.sh") && e.getMessage().contains("/nonexistent/libtpu.so"), e.getMessage());
    }

    @Test
    void everyGenerationPublishesItsFiguresWithASourceForEach() {
        for (TpuGeneration g : TpuTestSupport.GENERATIONS) {
            TpuFacts f = g.facts();
            for (String figure : new String[] {"peakBf16Tflops", "peakInt8Tops", "hbmGiB", "hbmGBps", "mxuShape",
                "mxusPerCore", "coresPerChip", "iciTopologies", "sliceShapes"}) {
                String source = f.sources().get(figure);
                assertTrue(source != null && (source.startsWith("https://cloud.google.com/tpu/docs/")
                        || source.startsWith("not published")), g + " " + figure + ": " + source);
            }
            assertTrue(f.sliceShapes().contains(g.defaultSlice()), g + " " + g.defaultSlice());
        }
    }

    @Test
    void theHighestRankingClaimOfAGenerationWinsAndBothAreListed() {
        Generations generations = new Generations();
        TpuGeneration core = TpuTestSupport.generation("v5e");
        TpuGeneration vendor = new TpuGeneration() {
            @Override public String generation() { return "v5e"; }
            @Override public String topologyName() { return "v5e"; }
            @Override public java.util.List<String> deviceKinds() { return java.util.List.of("TPU v5 lite"); }
            @Override public TpuFacts facts() { return core.facts(); }
            @Override public String defaultSlice() { return "2x2"; }
            @Override public Map<String, Object> compileDefaults() { return Map.of("xla_tpu_enable_latency_hiding_scheduler", true); }
        };
        generations.add(core, Map.of("service.ranking", 0, "service.id", 10L), "core");
        generations.add(vendor, Map.of("service.ranking", 5, "service.id", 20L), "vendor");
        assertEquals(vendor, generations.byName("v5e").orElseThrow());
        assertEquals(vendor, generations.byDeviceKind("TPU v5 lite").orElseThrow());
        assertEquals(2, generations.all().size());
        assertEquals("vendor", generations.all().get(0).bundle());
        generations.remove(vendor);
        assertEquals(core, generations.byName("v5e").orElseThrow());
    }
}
