package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.Model;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceOptions;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.osgi.util.tracker.ServiceTracker;

/** The engine service across its restarts: a changed configuration makes Declarative Services re-create it. */
final class Engines {
    private Engines() {
    }

    /**
     * Configuration Admin tells the engine asynchronously: waits until the open tracker holds an engine other than
     * {@code previous}, at most 30 s.
     */
    static TorchTpu restarted(ServiceTracker<TorchTpu, TorchTpu> tracker, TorchTpu previous) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TorchTpu engine = tracker.getService();
        while ((engine == null || engine == previous) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            engine = tracker.getService();
        }
        assertNotNull(engine, "the engine came back");
        assertNotSame(previous, engine, "the engine restarts with its new configuration");
        return engine;
    }

    /**
     * Loads a model on a backend. A backend configured or installed a moment ago may be visible to a test before the
     * engine's reference to it is bound (service listeners are called one after the other), so a "no backend" answer
     * is retried for a few seconds.
     */
    static Model load(TorchTpu engine, String name, Path file, String backend) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return engine.load(name, file, backend, TraceOptions.defaults());
            } catch (BackendUnavailableException e) {
                if (System.nanoTime() > deadline || !e.getMessage().startsWith("no backend '")) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }
}
