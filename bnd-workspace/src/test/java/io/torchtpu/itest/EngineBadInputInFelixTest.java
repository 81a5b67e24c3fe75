package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/** What the engine does with requests it cannot serve: one clear error each, and it keeps serving. */
class EngineBadInputInFelixTest {
    private static final double TOLERANCE = 1e-4;
    private final BundleContext context = FrameworkUtil.getBundle(EngineBadInputInFelixTest.class).getBundleContext();

    private TorchTpu engine(ServiceTracker<TorchTpu, TorchTpu> tracker) throws InterruptedException {
        tracker.open();
        TorchTpu engine = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(engine);
        return engine;
    }

    private static void servesCorrectly(Model model) {
        HostTensor output = model.run(Fixtures.inputs("mlp")).get(0);
        assertTrue(Fixtures.relativeError(output, Fixtures.reference("mlp").get(0)) <= TOLERANCE, "the model still serves");
    }

    @Test
    void swappingToAnUnknownBackendFailsAndTheModelStaysWhereItWas() throws Exception {
        ServiceTracker<TorchTpu, TorchTpu> tracker = new ServiceTracker<>(context, TorchTpu.class, null);
        TorchTpu engine = engine(tracker);
        try {
            Model model = engine.load("bad-swap", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
            ExecutionException e = assertThrows(ExecutionException.class, () -> model.swap("warp-drive").get(60, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof BackendUnavailableException, e.toString());
            assertTrue(e.getCause().getMessage().contains("no backend 'warp-drive'") && e.getCause().getMessage().contains("cpu"),
                    e.getCause().getMessage());
            assertEquals("cpu", model.backend());
            servesCorrectly(model);
        } finally {
            engine.unload("bad-swap");
            tracker.close();
        }
    }

    @Test
    void anUnloadedModelRefusesRequestsAndOthersServe() throws Exception {
        ServiceTracker<TorchTpu, TorchTpu> tracker = new ServiceTracker<>(context, TorchTpu.class, null);
        TorchTpu engine = engine(tracker);
        try {
            Model gone = engine.load("gone", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
            Model kept = engine.load("kept", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
            assertEquals(1, kept.stats().cacheHits(), "the second load shares the program the first compiled");
            engine.unload("gone");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> gone.run(Fixtures.inputs("mlp")));
            assertTrue(e.getMessage().contains("model gone was unloaded"), e.getMessage());
            ExecutionException swap = assertThrows(ExecutionException.class, () -> gone.swap("cpu").get(60, TimeUnit.SECONDS));
            assertTrue(swap.getCause().getMessage().contains("was unloaded"), swap.getCause().getMessage());
            servesCorrectly(kept);
        } finally {
            engine.unload("kept");
            tracker.close();
        }
    }

    @Test
    void aCompileCacheThatCannotBeWrittenOnlyCostsTheCache() throws Exception {
        // a file where the cache folder should be: no folder can be made there, as on a read-only or full disk
        Path blocker = Files.createTempFile("not-a-folder", ".txt");
        ConfigurationAdmin admin = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        Configuration configuration = admin.getConfiguration("io.torchtpu.engine", "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("cacheDirectory", blocker.resolve("executables").toString());
        ServiceTracker<TorchTpu, TorchTpu> before = new ServiceTracker<>(context, TorchTpu.class, null);
        TorchTpu previous = engine(before);
        before.close();
        configuration.update(properties);
        try {
            ServiceTracker<TorchTpu, TorchTpu> tracker = new ServiceTracker<>(context, TorchTpu.class, null);
            tracker.open();
            TorchTpu engine = Engines.restarted(tracker, previous);
            try {
                Model model = engine.load("no-cache", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
                servesCorrectly(model);
                assertTrue(engine.cacheEntries().get(0).contains(blocker.toString()), engine.cacheEntries().toString());
                engine.unload("no-cache");
            } finally {
                tracker.close();
            }
        } finally {
            configuration.delete();
            Files.deleteIfExists(blocker);
            awaitEngineWithDefaultConfiguration(blocker.resolve("executables").toString());
        }
    }

    /** Configuration Admin tells the engine asynchronously: wait until it serves with its defaults again. */
    private void awaitEngineWithDefaultConfiguration(String configured) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            var reference = context.getServiceReference(TorchTpu.class);
            if (reference != null && !configured.equals(reference.getProperty("cacheDirectory"))) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the engine did not come back with its default configuration");
    }

    @Test
    void runningAModelWithTheWrongNumberOfInputsNamesWhatItTakes() throws Exception {
        ServiceTracker<TorchTpu, TorchTpu> tracker = new ServiceTracker<>(context, TorchTpu.class, null);
        TorchTpu engine = engine(tracker);
        try {
            Model model = engine.load("arity", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.run(List.of()));
            assertTrue(e.getMessage().contains("takes 1 input(s) [tensor<4x32xf32>], given 0"), e.getMessage());
            servesCorrectly(model);
        } finally {
            engine.unload("arity");
            tracker.close();
        }
    }
}
