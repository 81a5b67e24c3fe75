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
import io.torchtpu.api.TraceOptions;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
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
 * The engine under load in Felix: requests on 8 threads while the model moves between two differently
 * configured CPU backends and the lowering bundle is updated; backends that go away while it serves.
 */
class EngineUnderLoadInFelixTest {
    private static final double TOLERANCE = 1e-4;
    private static final int THREADS = 8;
    private static final int SWAPS = 20;
    private final BundleContext context = FrameworkUtil.getBundle(EngineUnderLoadInFelixTest.class).getBundleContext();
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();
    private final List<Configuration> configurations = new ArrayList<>();
    private TorchTpu engine;

    @BeforeEach
    void setUp() throws Exception {
        engine = service(TorchTpu.class, null);
    }

    @AfterEach
    void tearDown() throws Exception {
        engine.models().forEach(model -> engine.unload(model.name()));
        for (Configuration configuration : configurations) {
            configuration.delete();
        }
        trackers.forEach(ServiceTracker::close);
    }

    private <T> T service(Class<T> type, String filter) throws Exception {
        String full = "(objectClass=" + type.getName() + ")";
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context,
                context.createFilter(filter == null ? full : "(&" + full + filter + ")"), null);
        tracker.open();
        trackers.add(tracker);
        T service = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(service, "no " + type.getSimpleName() + " service " + (filter == null ? "" : filter));
        return service;
    }

    /** A second CPU backend with its own id and two devices. */
    private Backend secondBackend(String id) throws Exception {
        ConfigurationAdmin admin = service(ConfigurationAdmin.class, null);
        Configuration configuration = admin.getFactoryConfiguration("io.torchtpu.backend.cpu.instance", id, "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("torchtpu.backend", id);
        properties.put("deviceCount", 2);
        configuration.update(properties);
        configurations.add(configuration);
        Backend backend = service(Backend.class, "(torchtpu.backend=" + id + ")");
        loadOn("probe-" + id, id);
        engine.unload("probe-" + id);
        return backend;
    }

    /**
     * Loads a model on a backend that was just configured. The test may hear of the new backend service
     * before the engine's reference to it is bound (listeners are called one after the other), so a
     * "no backend" answer is retried for a few seconds.
     */
    private Model loadOn(String name, String backend) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return engine.load(name, Fixtures.directory("mlp").resolve("model.pt2"), backend, TraceOptions.defaults());
            } catch (BackendUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    /** Requests on many threads, each answer checked against the reference; failures and wrong answers kept. */
    private static final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong requests = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<long[]> latencies = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();
        final CountDownLatch started = new CountDownLatch(THREADS);

        Load(Model model, List<HostTensor> inputs, HostTensor reference) {
            for (int t = 0; t < THREADS; t++) {
                Thread thread = new Thread(() -> {
                    started.countDown();
                    while (running.get()) {
                        long start = System.nanoTime();
                        try {
                            HostTensor output = model.run(inputs).get(0);
                            double error = Fixtures.relativeError(output, reference);
                            if (!(error <= TOLERANCE)) {
                                failures.add("wrong answer: relative error " + error);
                            }
                        } catch (RuntimeException e) {
                            failures.add(e.toString());
                        }
                        long end = System.nanoTime();
                        latencies.add(new long[] {start, end});
                        requests.incrementAndGet();
                    }
                }, "load-" + t);
                thread.start();
                threads.add(thread);
            }
        }

        /** The worst latency of a request that overlapped one of the windows. */
        double worstMillisDuring(List<long[]> windows) {
            long worst = 0;
            for (long[] request : latencies) {
                for (long[] window : windows) {
                    if (request[0] < window[1] && request[1] > window[0]) {
                        worst = Math.max(worst, request[1] - request[0]);
                    }
                }
            }
            return worst / 1e6;
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
    void twentySwapsAndTwoLoweringUpdatesUnderLoadLoseAndCorruptNothing() throws Exception {
        secondBackend("cpu-b");
        Model model = engine.load("mlp-load", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
        List<HostTensor> inputs = Fixtures.inputs("mlp");
        HostTensor reference = Fixtures.reference("mlp").get(0);
        Bundle lowerings = Bundles.installed(context, "io.torchtpu.lowering.aten");
        List<long[]> swapWindows = new ArrayList<>();
        long requestsBefore;
        try (Load load = new Load(model, inputs, reference)) {
            load.started.await();
            for (int swap = 1; swap <= SWAPS; swap++) {
                String target = swap % 2 == 1 ? "cpu-b" : "cpu";
                long start = System.nanoTime();
                model.swap(target).get(60, TimeUnit.SECONDS);
                swapWindows.add(new long[] {start, System.nanoTime()});
                assertEquals(target, model.backend());
                if (swap == 7 || swap == 14) {
                    // the lowering bundle goes away and comes back: the model recompiles on a later request
                    lowerings.update();
                    assertEquals(Bundle.ACTIVE, lowerings.getState());
                }
                Thread.sleep(25);
            }
            requestsBefore = load.requests.get();
            Thread.sleep(200);
            load.close();
            assertTrue(load.failures.isEmpty(), load.failures.size() + " failed or wrong responses, first: " + load.failures.peek());
            assertTrue(load.requests.get() > requestsBefore, "requests kept flowing after the last swap");
            System.out.printf("engine under load: %d requests on %d threads, %d swaps, 2 lowering updates, 0 failed, 0 wrong;"
                    + " worst latency during a swap %.1f ms; model stats %s%n", load.requests.get(), THREADS, SWAPS,
                    load.worstMillisDuring(swapWindows), model.stats());
        }
        assertTrue(model.stats().compiles() >= SWAPS + 1, "a compile per swap: " + model.stats());
        assertEquals(0, model.stats().failures());
    }

    @Test
    void aBackendThatGoesAwayTakesItsModelsToTheFallbackWhileTheyServe() throws Exception {
        secondBackend("cpu-leaving");
        Model model = loadOn("mlp-fallback", "cpu-leaving");
        List<HostTensor> inputs = Fixtures.inputs("mlp");
        HostTensor reference = Fixtures.reference("mlp").get(0);
        try (Load load = new Load(model, inputs, reference)) {
            load.started.await();
            Thread.sleep(100);
            // deleting its configuration takes the backend away, as stopping its bundle would
            configurations.remove(configurations.size() - 1).delete();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!model.backend().equals("cpu") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(100);
            load.close();
            assertEquals("cpu", model.backend(), "the configured fallback takes the model");
            assertTrue(load.failures.isEmpty(), load.failures.size() + " failed or wrong responses, first: " + load.failures.peek());
        }
    }

    @Test
    void withNoFallbackRunningRequestsFailClearlyUntilTheModelIsSwapped() throws Exception {
        Backend leaving = secondBackend("cpu-alone");
        Model model = loadOn("mlp-orphan", "cpu-alone");
        List<HostTensor> inputs = Fixtures.inputs("mlp");
        Bundle backends = Bundles.installed(context, "io.torchtpu.backend.cpu");
        // stopping the backend bundle takes every CPU backend, the fallback "cpu" included
        backends.stop();
        try {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> model.run(inputs));
            // cpu-alone went first and its model moved to the fallback cpu; then cpu went too, with no fallback left
            assertTrue(e.getMessage().contains("model mlp-orphan cannot run: its backend cpu went away and no fallback backend runs")
                    && e.getMessage().contains("torchtpu:swap mlp-orphan BACKEND"), e.getMessage());
        } finally {
            backends.start();
        }
        service(Backend.class, "(torchtpu.backend=cpu)");
        model.swap("cpu").get(60, TimeUnit.SECONDS);
        double error = Fixtures.relativeError(model.run(inputs).get(0), Fixtures.reference("mlp").get(0));
        assertTrue(error <= TOLERANCE, "it serves again after the swap: " + error);
        assertNotNull(leaving);
    }
}
