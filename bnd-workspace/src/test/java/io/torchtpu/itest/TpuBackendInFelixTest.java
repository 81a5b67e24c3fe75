package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.Backend;
import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The TPU backend bundle on the real libtpu (which the TPU backend's build fetched) added to the running container of a
 * machine without TPU chips: a model asked to load on {@code tpu} is served by the engine's fallback backend with
 * right answers, a swap to {@code tpu} fails and leaves it serving, and without a fallback the load fails naming why.
 * Also the bad input of TPU generations and libtpu: two bundles claiming one generation (both shown, the higher
 * ranking wins) and a libtpu of an incompatible PJRT version. The bundles go again at the end, so no other test sees
 * a tpu backend.
 */
class TpuBackendInFelixTest {
    private static final String NO_CHIPS = "backend tpu: no TPU chips to run on: looked for TPU device files";
    private static final String ENGINE_PID = "io.torchtpu.engine";
    private static final String TPU_PID = "io.torchtpu.backend.tpu";

    private final BundleContext context = FrameworkUtil.getBundle(TpuBackendInFelixTest.class).getBundleContext();
    private final List<Bundle> installed = new ArrayList<>();
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();
    private TorchTpu engine;

    @BeforeEach
    void addTheTpuBundles() throws Exception {
        Assumptions.assumeTrue(noTpuDeviceFiles(), "this machine has TPU device files: nothing falls back");
        engine = service(TorchTpu.class, null);
        installed.add(install("torchtpu.itest.tpu.backend"));
        installed.add(install("torchtpu.itest.tpu.v5e"));
        for (Bundle bundle : installed) {
            bundle.start();
        }
        awaitTpuBackend(description -> description.contains("unavailable"));
    }

    @AfterEach
    void removeThem() throws Exception {
        if (engine != null) {
            engine.models().forEach(model -> engine.unload(model.name()));
        }
        for (Bundle bundle : installed) {
            bundle.uninstall();
        }
        trackers.forEach(ServiceTracker::close);
    }

    private static boolean noTpuDeviceFiles() throws Exception {
        try (var dev = Files.list(Path.of("/dev"))) {
            return dev.noneMatch(f -> f.getFileName().toString().startsWith("accel"));
        }
    }

    private Bundle install(String property) throws Exception {
        Path jar = Path.of(context.getProperty(property));
        try (InputStream in = Files.newInputStream(jar)) {
            return context.installBundle("hot-plug:" + jar, in);
        }
    }

    private <S> S service(Class<S> type, String filter) throws Exception {
        String full = "(objectClass=" + type.getName() + ")";
        ServiceTracker<S, S> tracker = new ServiceTracker<>(context, context.createFilter(filter == null ? full : "(&" + full + filter + ")"), null);
        tracker.open();
        trackers.add(tracker);
        S service = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(service, "no " + type.getSimpleName() + " " + (filter == null ? "" : filter));
        return service;
    }

    /** The tpu backend once its description satisfies the condition (a configuration change re-creates it). */
    private Backend awaitTpuBackend(Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Backend tpu = service(Backend.class, "(" + Backend.ID_PROPERTY + "=tpu)");
        while (!condition.test(tpu.description()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            tpu = service(Backend.class, "(" + Backend.ID_PROPERTY + "=tpu)");
        }
        assertTrue(condition.test(tpu.description()), tpu.description());
        return tpu;
    }

    private static Model loadMlp(TorchTpu on, String name, String backend) throws InterruptedException {
        return Engines.load(on, name, Fixtures.directory("mlp").resolve("model.pt2"), backend);
    }

    private static void servesCorrectly(Model model) {
        List<HostTensor> outputs = model.run(Fixtures.inputs("mlp"));
        double error = Fixtures.relativeError(outputs.get(0), Fixtures.reference("mlp").get(0));
        assertTrue(error <= 1e-4, model.name() + ": relative error " + error + " against the stored reference");
    }

    @Test
    void aModelAskedForTpuWithoutChipsIsServedByTheFallbackAndASwapToTpuLeavesItThere() throws Exception {
        Backend tpu = service(Backend.class, "(" + Backend.ID_PROPERTY + "=tpu)");
        BackendUnavailableException why = assertThrows(BackendUnavailableException.class, tpu::runtime);
        assertTrue(why.getMessage().startsWith(NO_CHIPS) && why.getMessage().contains("libtpu "), why.getMessage());

        Model model = loadMlp(engine, "mlp-on-tpu", "tpu");
        assertEquals("cpu", model.backend(), "the engine's fallback serves it");
        assertEquals("tpu", model.requestedBackend());
        servesCorrectly(model);

        ExecutionException swap = assertThrows(ExecutionException.class, () -> model.swap("tpu").get(60, TimeUnit.SECONDS));
        assertInstanceOf(BackendUnavailableException.class, swap.getCause());
        assertTrue(swap.getCause().getMessage().startsWith("model mlp-on-tpu stays on cpu: " + NO_CHIPS), swap.getCause().getMessage());
        assertEquals("cpu", model.backend());
        assertEquals("tpu", model.requestedBackend(), "a failed swap asks for nothing new");
        servesCorrectly(model);

        // a swap that succeeds is what the model asks for from then on
        model.swap("cpu").get(60, TimeUnit.SECONDS);
        assertEquals("cpu", model.requestedBackend());
    }

    @Test
    void withoutAFallbackThatRunsTheLoadFailsNamingWhyTpuCannotRunAndTheFallbackSetting() throws Exception {
        ConfigurationAdmin admin = service(ConfigurationAdmin.class, null);
        Configuration configuration = admin.getConfiguration(ENGINE_PID, "?");
        Dictionary<String, Object> before = configuration.getProperties();
        try {
            Map<String, String> expected = Map.of(
                    "", "; no fallback backend is configured (fallbackBackend of io.torchtpu.engine is empty)",
                    "tpu", "; the fallback backend is tpu itself",
                    "cpu-nowhere", "; the fallback backend cpu-nowhere is not running");
            for (Map.Entry<String, String> e : expected.entrySet()) {
                TorchTpu previous = engine;
                Hashtable<String, Object> properties = new Hashtable<>();
                properties.put("fallbackBackend", e.getKey());
                configuration.update(properties);
                engine = restartedEngine(previous);
                TorchTpu current = engine;
                BackendUnavailableException failed = assertThrows(BackendUnavailableException.class,
                        () -> loadMlp(current, "mlp-no-fallback", "tpu"));
                String m = failed.getMessage();
                assertTrue(m.startsWith("model mlp-no-fallback cannot load: " + NO_CHIPS), m);
                assertTrue(m.endsWith(e.getValue()), "fallbackBackend '" + e.getKey() + "': " + m);
                assertTrue(engine.model("mlp-no-fallback").isEmpty(), "nothing is served under the name");
            }
        } finally {
            TorchTpu previous = engine;
            if (before == null) {
                configuration.delete();
            } else {
                configuration.update(before);
            }
            engine = restartedEngine(previous);
        }
        // with its default fallback back, the same load is served on cpu
        Model model = loadMlp(engine, "mlp-fallback-again", "tpu");
        assertEquals("cpu", model.backend());
        servesCorrectly(model);
    }

    private TorchTpu restartedEngine(TorchTpu previous) throws Exception {
        ServiceTracker<TorchTpu, TorchTpu> tracker = new ServiceTracker<>(context, TorchTpu.class, null);
        tracker.open();
        trackers.add(tracker);
        return Engines.restarted(tracker, previous);
    }

    @Test
    void aLibtpuOfAnIncompatiblePjrtVersionIsNamedWithBothVersionsAndTheFallbackServes() throws Exception {
        Path wrong = Path.of(System.getProperty("torchtpu.itest.fakePlugins", "missing"), "libfake_failing_pjrt_plugin_wrong_version.so");
        assertTrue(Files.isRegularFile(wrong), wrong + " was not built (io.torchtpu.runtime.pjrt.faults)");
        ConfigurationAdmin admin = service(ConfigurationAdmin.class, null);
        Configuration configuration = admin.getConfiguration(TPU_PID, "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("plugin", wrong.toString());
        configuration.update(properties);
        try {
            Backend tpu = awaitTpuBackend(description -> description.contains("incompatible"));
            String m = assertThrows(BackendUnavailableException.class, tpu::runtime).getMessage();
            int[] bridge = PjrtPlugin.bridgeApiVersion();
            assertEquals("backend tpu: libtpu could not be loaded: incompatible PJRT plugin " + wrong.toRealPath()
                    + ": it implements PJRT C API 0.1, this bridge was built against " + bridge[0] + "." + bridge[1]
                    + " (needs major " + bridge[0] + " and minor >= " + bridge[1] + "); the pinned libtpu 0.0.52 (PJRT C API 0.117)"
                    + " works (runtime-launcher/scripts/fetch-libtpu.sh installs it); use the backend cpu instead", m);
            Model model = loadMlp(engine, "mlp-on-old-libtpu", "tpu");
            assertEquals("cpu", model.backend());
            servesCorrectly(model);
        } finally {
            configuration.delete();
        }
        awaitTpuBackend(description -> description.contains("no TPU chips"));
    }

    @Test
    void twoBundlesClaimingOneGenerationAreBothShownAndTheHigherRankingWins() throws Exception {
        TpuGeneration core = service(TpuGeneration.class, "(" + TpuGeneration.GENERATION_PROPERTY + "=v5e)");
        Object commands = command("tpu");
        String bundle = context.getBundle().getSymbolicName() + " " + context.getBundle().getVersion();
        String coreBundle = "io.torchtpu.backend.tpu.v5e " + FrameworkUtil.getBundle(core.getClass()).getVersion();

        // this test bundle claims v5e as a vendor's bundle would: the same chips, its own compile defaults
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(TpuGeneration.GENERATION_PROPERTY, "v5e");
        properties.put("service.ranking", 10);
        ServiceRegistration<TpuGeneration> claim = context.registerService(TpuGeneration.class, new TunedV5e(core), properties);
        try {
            String listed = awaitTpuListing(commands, text -> text.contains(bundle));
            String winner = line(listed, "  v5e from " + bundle);
            String outranked = line(listed, "  v5e from " + coreBundle);
            assertTrue(winner.startsWith("  v5e from " + bundle + ", ranking 10, wins: TPU v5e tuned by a vendor: 197 bf16 TFLOP/s"), winner);
            assertTrue(outranked.startsWith("  v5e from " + coreBundle + ", ranking 0, outranked by " + bundle + " (ranking 10): "), outranked);
            assertTrue(listed.indexOf(winner) < listed.indexOf(outranked), "the winner is listed first:\n" + listed);

            // the winner's compile defaults and figures are the ones a compile uses
            Path out = Files.createTempDirectory("tpu-compile").resolve("mlp.pjrt");
            String compiled = (String) commands.getClass().getMethod("compile", String.class, String.class, String.class)
                    .invoke(commands, Fixtures.directory("mlp").resolve("model.pt2").toString(), "tpu-v5e:2x2", out.toString());
            assertTrue(compiled.contains("generation v5e from " + bundle + " (ranking 10): TPU v5e tuned by a vendor\n"), compiled);
            assertTrue(compiled.contains("compiled with v5e's defaults {xla_tpu_enable_latency_hiding_scheduler=true}"), compiled);
            assertTrue(Files.size(out) > 10_000, compiled);
        } finally {
            claim.unregister();
        }
        String alone = awaitTpuListing(commands, text -> !text.contains(bundle));
        assertTrue(line(alone, "  v5e from " + coreBundle).startsWith("  v5e from " + coreBundle + ", ranking 0, wins: "), alone);
    }

    /** The service behind a Gogo command: Gogo calls its methods by name, and so does this test. */
    private Object command(String function) throws Exception {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(osgi.command.scope=torchtpu)(osgi.command.function=" + function + "))"), null);
        tracker.open();
        trackers.add(tracker);
        Object service = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(service, "no command torchtpu:" + function);
        return service;
    }

    /** {@code torchtpu:tpu}'s text once it satisfies the condition (the backend sees services come and go). */
    private static String awaitTpuListing(Object commands, Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String text = (String) commands.getClass().getMethod("tpu").invoke(commands);
        while (!condition.test(text) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            text = (String) commands.getClass().getMethod("tpu").invoke(commands);
        }
        assertTrue(condition.test(text), text);
        return text;
    }

    private static String line(String text, String start) {
        return text.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError("no line '" + start
                + "' in:\n" + text));
    }

    /** A second claim of v5e: the core bundle's chips and figures, with compile defaults of its own. */
    private record TunedV5e(TpuGeneration core) implements TpuGeneration {
        @Override
        public String generation() {
            return "v5e";
        }

        @Override
        public String topologyName() {
            return core.topologyName();
        }

        @Override
        public List<String> deviceKinds() {
            return core.deviceKinds();
        }

        @Override
        public TpuFacts facts() {
            return core.facts();
        }

        @Override
        public String defaultSlice() {
            return core.defaultSlice();
        }

        @Override
        public Map<String, Object> compileDefaults() {
            return Map.of("xla_tpu_enable_latency_hiding_scheduler", Boolean.TRUE);
        }

        @Override
        public String toString() {
            return "TPU v5e tuned by a vendor";
        }
    }
}
