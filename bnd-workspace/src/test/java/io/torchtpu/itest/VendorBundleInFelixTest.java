package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.lowering.UncoveredOpsException;
import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.tensorio.TensorFiles;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The example vendor bundle (bundles/examples/vendor-bundle, built by its own Maven project) plugged into the running
 * framework: a TorchScript model that calls the custom op {@code vendor::fused_rms_norm} cannot be read before it
 * comes, runs through the engine on the XLA CPU plugin while it is installed (checked against the NumPy reference
 * stored with the fixture), and fails with the uncovered-op error naming the op after it is uninstalled, with no
 * restart; its TPU generation {@code v5lite-vendor} comes and goes with it.
 */
class VendorBundleInFelixTest {
    private static final String OP = "vendor::fused_rms_norm";
    private static final String GENERATION = "v5lite-vendor";
    private static final String DECOMPOSITION_PID = "com.example.tpuvendor.fused_rms_norm.decomposition";

    private final BundleContext context = FrameworkUtil.getBundle(VendorBundleInFelixTest.class).getBundleContext();
    private final List<String> loaded = new ArrayList<>();
    private Bundle vendor;
    private Configuration decomposition;
    private TorchTpu engine;

    @AfterEach
    void cleanUp() throws Exception {
        if (engine != null) {
            loaded.forEach(name -> engine.model(name).ifPresent(m -> engine.unload(name)));
        }
        if (decomposition != null) {
            decomposition.delete();
        }
        if (vendor != null && vendor.getState() != Bundle.UNINSTALLED) {
            vendor.uninstall();
        }
    }

    private <S> ServiceTracker<S, S> tracker(Class<S> type, String filter) throws Exception {
        ServiceTracker<S, S> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + type.getName() + ")" + (filter == null ? "" : filter) + ")"), null);
        tracker.open();
        return tracker;
    }

    private <S> S service(Class<S> type, String filter) throws Exception {
        S service = tracker(type, filter).waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(service, "no " + type.getSimpleName() + " service " + (filter == null ? "" : filter));
        return service;
    }

    private Model load(String name, Path model) {
        loaded.add(name);
        return engine.load(name, model, "cpu", TraceOptions.defaults());
    }

    private static String messages(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            text.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append('\n');
        }
        return text.toString();
    }

    private static void assertMatchesReference(Model model, Path fixture) throws Exception {
        List<HostTensor> inputs = new ArrayList<>(TensorFiles.read(fixture.resolve("inputs.safetensors")).values());
        HostTensor expected = TensorFiles.read(fixture.resolve("reference.safetensors")).values().iterator().next();
        HostTensor actual = model.run(inputs).get(0);
        assertEquals(expected.type(), actual.type());
        double error = Fixtures.relativeError(actual, expected);
        assertTrue(error < 1e-4, model.name() + ": relative error " + error + " against the NumPy reference");
    }

    private static void waitUntil(ServiceTracker<?, ?> tracker, boolean present) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((tracker.getService() != null) != present && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(present, tracker.getService() != null, "the service " + (present ? "did not come" : "did not go"));
    }

    @Test
    void theVendorsCustomOpAndGenerationComeAndGoWithItsBundle() throws Exception {
        engine = service(TorchTpu.class, null);
        Path fixture = Path.of(context.getProperty("torchtpu.itest.vendor.bundle.fixture"));
        Path model = fixture.resolve("model.pt");
        ServiceTracker<TpuGeneration, TpuGeneration> generations = tracker(TpuGeneration.class,
                "(" + TpuGeneration.GENERATION_PROPERTY + "=" + GENERATION + ")");
        assertEquals(null, generations.getService(), GENERATION + " before the vendor bundle");

        // before: libtorch does not know the op, so the archive cannot be read
        RuntimeException before = assertThrows(RuntimeException.class, () -> load("rms-before", model));
        assertTrue(messages(before).contains(OP), messages(before));

        Path jar = Path.of(context.getProperty("torchtpu.itest.vendor.bundle"));
        try (InputStream in = Files.newInputStream(jar)) {
            vendor = context.installBundle("hot-plug:" + jar, in);
        }
        vendor.start();

        // the generation descriptor
        waitUntil(generations, true);
        TpuGeneration generation = generations.getService();
        assertEquals(GENERATION, generation.generation());
        assertEquals("v5e", generation.topologyName());
        assertEquals(197, generation.facts().peakBf16Tflops());
        assertTrue(generation.facts().sources().values().stream().allMatch(s -> s.startsWith("https://")));
        assertNotNull(vendor.getEntry("SOURCES.md"), "the sources travel in the bundle");

        // the custom op, lowered by the vendor's lowering
        Model plugged = load("rms-plugged", model);
        assertMatchesReference(plugged, fixture);

        // the fallback: the vendor's ATen decomposition, turned on for the cpu backend by configuration
        ConfigurationAdmin admin = service(ConfigurationAdmin.class, null);
        decomposition = admin.getConfiguration(DECOMPOSITION_PID, "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("torchtpu.backend", "cpu");
        decomposition.update(properties);
        service(io.torchtpu.api.lowering.Decomposition.class, "(torchtpu.op=" + OP + ")");
        Model decomposed = load("rms-decomposed", model);
        assertMatchesReference(decomposed, fixture);
        decomposition.delete();
        decomposition = null;

        // after: the graph the engine read stays cached, and lowering it finds no lowering for the op
        vendor.uninstall();
        waitUntil(generations, false);
        RuntimeException after = assertThrows(RuntimeException.class, () -> load("rms-after", model));
        String message = messages(after);
        assertTrue(message.contains(OP), message);
        Throwable cause = after;
        while (cause != null && !(cause instanceof UncoveredOpsException)) {
            cause = cause.getCause();
        }
        assertNotNull(cause, "an UncoveredOpsException: " + message);
        assertEquals(OP, ((UncoveredOpsException) cause).uncovered().get(0).op());
    }
}
