package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.Backend;
import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.runtime.pjrt.PjrtException;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Reliability in Felix: backends on FAKE failing plugins next to the real one, lowering and backend bundles
 * stopped and started in a loop while requests flow, and a soak over several models with swaps and cache
 * clears that watches resident memory and open native handles. Sizes: {@code torchtpu.itest.soak.requests}
 * (5,000 in the build; {@code SOAK_REQUESTS=100000 mvn verify} for the full soak) and
 * {@code torchtpu.itest.bundle.cycles}.
 */
class ReliabilityInFelixTest {
    private static final double TOLERANCE = 1e-4;
    private static final int THREADS = 8;
    private final BundleContext context = FrameworkUtil.getBundle(ReliabilityInFelixTest.class).getBundleContext();
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();
    private final List<Configuration> configurations = new ArrayList<>();
    private TorchTpu engine;
    private List<HostTensor> inputs;
    private HostTensor reference;

    @BeforeEach
    void setUp() throws Exception {
        engine = service(TorchTpu.class, null, 30);
        inputs = Fixtures.inputs("mlp");
        reference = Fixtures.reference("mlp").get(0);
    }

    @AfterEach
    void tearDown() throws Exception {
        engine.models().forEach(model -> engine.unload(model.name()));
        for (Configuration configuration : configurations) {
            configuration.delete();
        }
        trackers.forEach(ServiceTracker::close);
    }

    private <T> T service(Class<T> type, String filter, int seconds) throws Exception {
        String full = "(objectClass=" + type.getName() + ")";
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context,
                context.createFilter(filter == null ? full : "(&" + full + filter + ")"), null);
        tracker.open();
        trackers.add(tracker);
        return tracker.waitForService(TimeUnit.SECONDS.toMillis(seconds));
    }

    private Configuration cpuBackend(String id, String plugin) throws Exception {
        ConfigurationAdmin admin = service(ConfigurationAdmin.class, null, 30);
        Configuration configuration = admin.getFactoryConfiguration("io.torchtpu.backend.cpu.instance", id, "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("torchtpu.backend", id);
        if (plugin != null) {
            properties.put("plugin", plugin);
        }
        configuration.update(properties);
        configurations.add(configuration);
        return configuration;
    }

    /** Loads the MLP on a backend, retrying while the engine has not bound a backend configured a moment ago. */
    private Model loadMlp(String name, String backend) throws InterruptedException {
        return Engines.load(engine, name, Fixtures.directory("mlp").resolve("model.pt2"), backend);
    }

    private static int intProperty(String name, int otherwise) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? otherwise : Integer.parseInt(value.trim());
    }

    private static Path fakePlugin(String fault) {
        Path plugin = Path.of(System.getProperty("torchtpu.itest.fakePlugins", "missing"),
                "libfake_failing_pjrt_plugin_" + fault + ".so");
        assertTrue(Files.isRegularFile(plugin), "the fake plugin " + plugin + " was not built (io.torchtpu.runtime.pjrt.faults)");
        return plugin;
    }

    /** Requests on several threads over several models; every answer is checked against the reference. */
    private final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong served = new AtomicLong();
        final AtomicLong wrong = new AtomicLong();
        final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<long[]> refusals = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();
        final long limit;

        Load(List<Model> models, long limit) {
            this.limit = limit;
            for (int t = 0; t < THREADS; t++) {
                int first = t;
                Thread thread = new Thread(() -> {
                    for (int i = first; running.get() && served.get() < limit; i++) {
                        Model model = models.get(i % models.size());
                        long start = System.nanoTime();
                        try {
                            double error = Fixtures.relativeError(model.run(inputs).get(0), reference);
                            if (!(error <= TOLERANCE)) {
                                wrong.incrementAndGet();
                            }
                            served.incrementAndGet();
                        } catch (BackendUnavailableException e) {
                            // clear only while no backend runs; the windows are checked afterwards
                            refusals.add(new long[] {start, System.nanoTime()});
                        } catch (RuntimeException e) {
                            unexpected.add(model.name() + ": " + e);
                        }
                    }
                }, "reliability-load-" + t);
                thread.start();
                threads.add(thread);
            }
        }

        void awaitServed(long count, long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (served.get() < count && unexpected.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
    }

    @Test
    void backendsOnFailingPluginsFailCleanlyWhileTheDefaultBackendServes() throws Exception {
        Model served = loadMlp("mlp-default", "cpu");
        try (Load load = new Load(List.of(served), Long.MAX_VALUE)) {
            load.awaitServed(50, 60);
            // a plugin whose initialization fails: the component does not activate, no backend appears
            cpuBackend("cpu-broken-init", fakePlugin("initialize_fails").toString());
            // a plugin with no GetPjrtApi result: the same
            cpuBackend("cpu-null-api", fakePlugin("null_api").toString());
            // a plugin file that is not there at all
            cpuBackend("cpu-missing", "/nonexistent/pjrt_plugin.so");
            // a plugin that loads and compiles but whose executions fail
            cpuBackend("cpu-failing-execute", fakePlugin("execute_fails").toString());
            assertNotNull(service(Backend.class, "(torchtpu.backend=cpu-failing-execute)", 30));
            for (String broken : List.of("cpu-broken-init", "cpu-null-api", "cpu-missing")) {
                assertEquals(null, service(Backend.class, "(torchtpu.backend=" + broken + ")", 1), broken + " must not appear");
                BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> loadMlp("mlp-" + broken, broken));
                assertTrue(e.getMessage().contains("no backend '" + broken + "'"), e.getMessage());
            }
            Model failing = loadMlp("mlp-on-failing-plugin", "cpu-failing-execute");
            for (int i = 0; i < 20; i++) {
                PjrtException e = assertThrows(PjrtException.class, () -> failing.run(inputs));
                assertTrue(e.getMessage().contains("RESOURCE_EXHAUSTED") && e.getMessage().contains("fault injection"), e.getMessage());
            }
            // the failing model moves to the real plugin and serves right answers there
            failing.swap("cpu").get(60, TimeUnit.SECONDS);
            assertTrue(Fixtures.relativeError(failing.run(inputs).get(0), reference) <= TOLERANCE);
            long before = load.served.get();
            load.awaitServed(before + 50, 60);
            load.close();
            assertTrue(load.unexpected.isEmpty(), "the default backend's model failed: " + load.unexpected.peek());
            assertEquals(0, load.wrong.get(), "wrong answers on the default backend");
            assertTrue(load.refusals.isEmpty(), "the default backend refused requests");
            System.out.printf("failing plugins in Felix: 4 broken backends configured, 20 failed executions, the default backend"
                    + " served %d requests meanwhile, 0 failed, 0 wrong%n", load.served.get());
        }
    }

    @Test
    void loweringAndBackendBundlesStopAndStartInALoopWhileRequestsFlow() throws Exception {
        int cycles = intProperty("torchtpu.itest.bundle.cycles", 4);
        List<Model> models = List.of(loadMlp("mlp-loop-a", "cpu"), loadMlp("mlp-loop-b", "cpu"));
        Bundle aten = Bundles.installed(context, "io.torchtpu.lowering.aten");
        Bundle registry = Bundles.installed(context, "io.torchtpu.lowering.registry");
        Bundle backends = Bundles.installed(context, "io.torchtpu.backend.cpu");
        List<long[]> noBackendWindows = new ArrayList<>();
        try (Load load = new Load(models, Long.MAX_VALUE)) {
            load.awaitServed(100, 60);
            for (int cycle = 0; cycle < cycles; cycle++) {
                // lowerings and the registry go and come back: programs already compiled keep serving
                aten.stop();
                load.awaitServed(load.served.get() + 50, 30);
                aten.start();
                registry.stop();
                load.awaitServed(load.served.get() + 50, 30);
                registry.start();
                // every CPU backend goes away: with no fallback running, requests are refused clearly
                long gone = System.nanoTime();
                backends.stop();
                Thread.sleep(50);
                backends.start();
                assertNotNull(service(Backend.class, "(torchtpu.backend=cpu)", 30), "the cpu backend comes back");
                assertNotNull(service(io.torchtpu.api.lowering.Lowerer.class, null, 30), "the lowerer comes back");
                for (Model model : models) {
                    model.swap("cpu").get(60, TimeUnit.SECONDS);
                }
                noBackendWindows.add(new long[] {gone, System.nanoTime()});
                load.awaitServed(load.served.get() + 100, 60);
                assertTrue(load.unexpected.isEmpty(), "cycle " + cycle + ": " + load.unexpected.peek());
            }
            load.close();
            assertTrue(load.unexpected.isEmpty(), load.unexpected.size() + " unexpected failures, first: " + load.unexpected.peek());
            assertEquals(0, load.wrong.get(), "wrong answers");
            for (long[] refusal : load.refusals) {
                boolean inAWindow = noBackendWindows.stream().anyMatch(w -> refusal[0] < w[1] && refusal[1] > w[0]);
                assertTrue(inAWindow, "a request was refused while a backend ran");
            }
            System.out.printf("bundle loop in Felix: %d cycles (lowering.aten, lowering.registry, backend.cpu stopped and started),"
                    + " %d requests served, 0 wrong, %d refused with BackendUnavailableException while no backend ran%n",
                    cycles, load.served.get(), load.refusals.size());
        }
    }

    @Test
    void soakOverSeveralModelsWithSwapsAndCacheClearsKeepsMemoryAndHandlesFlat() throws Exception {
        long requests = intProperty("torchtpu.itest.soak.requests", 5_000);
        cpuBackend("cpu-soak", null);
        assertNotNull(service(Backend.class, "(torchtpu.backend=cpu-soak)", 30));
        List<Model> models = List.of(loadMlp("soak-a", "cpu"), loadMlp("soak-b", "cpu-soak"), loadMlp("soak-c", "cpu"));
        // warm up: every code path once (swaps, cache clears), so that what is measured after is the steady state
        try (Load warmup = new Load(models, 1_000)) {
            for (Model model : models) {
                model.swap(model.backend().equals("cpu") ? "cpu-soak" : "cpu").get(60, TimeUnit.SECONDS);
            }
            engine.clearCache();
            warmup.awaitServed(1_000, 120);
        }
        long rssBefore = residentKilobytes();
        long handlesBefore = PjrtPlugin.openNativeHandles();
        long filesBefore = openFileDescriptors();
        int swaps = 0;
        int clears = 0;
        long start = System.nanoTime();
        try (Load load = new Load(models, requests)) {
            long nextEvent = requests / 20;
            while (load.served.get() < requests && load.unexpected.isEmpty() && load.refusals.isEmpty()) {
                if (load.served.get() >= nextEvent) {
                    Model model = models.get(swaps % models.size());
                    model.swap(model.backend().equals("cpu") ? "cpu-soak" : "cpu").get(60, TimeUnit.SECONDS);
                    swaps++;
                    if (swaps % 3 == 0) {
                        engine.clearCache();
                        clears++;
                    }
                    nextEvent += requests / 20;
                }
                Thread.sleep(2);
            }
            load.close();
            double seconds = (System.nanoTime() - start) / 1e9;
            long rssAfter = residentKilobytes();
            long handlesAfter = PjrtPlugin.openNativeHandles();
            long filesAfter = openFileDescriptors();
            System.out.printf("soak in Felix: %d requests over %d models on %d threads in %.1f s, %d swaps, %d cache clears, "
                    + "%d failed, %d wrong; RSS %d -> %d KiB (%+.1f%%), open PJRT handles %d -> %d, file descriptors %d -> %d%n",
                    load.served.get(), models.size(), THREADS, seconds, swaps, clears, load.unexpected.size() + load.refusals.size(),
                    load.wrong.get(), rssBefore, rssAfter, 100.0 * (rssAfter - rssBefore) / rssBefore, handlesBefore, handlesAfter,
                    filesBefore, filesAfter);
            assertTrue(load.unexpected.isEmpty(), load.unexpected.size() + " failed, first: " + load.unexpected.peek());
            assertTrue(load.refusals.isEmpty(), load.refusals.size() + " refused");
            assertEquals(0, load.wrong.get(), "wrong answers");
            assertTrue(load.served.get() >= requests, "served " + load.served.get());
            assertEquals(handlesBefore, handlesAfter, "open PJRT handles before and after");
            assertTrue(rssAfter <= rssBefore * 1.05, "resident memory grew from " + rssBefore + " to " + rssAfter + " KiB");
            assertTrue(filesAfter <= filesBefore + 2, "file descriptors " + filesBefore + " -> " + filesAfter);
        }
    }

    private static long residentKilobytes() throws IOException, InterruptedException {
        System.gc();
        Thread.sleep(200);
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static long openFileDescriptors() throws IOException {
        try (var entries = Files.list(Path.of("/proc/self/fd"))) {
            return entries.count();
        }
    }
}
