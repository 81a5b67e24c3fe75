package io.torchtpu.bench.jmh;

import io.torchtpu.api.Backend;
import io.torchtpu.api.Tracer;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.launcher.Container;
import io.torchtpu.launcher.ContainerOptions;
import java.nio.file.Path;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The container a host embeds (runtime-launcher/target/torchtpu, or -Dtorchtpu.home), with the API shared so
 * that the benchmarks call the bundles' services directly, and the fixture models' folder.
 */
final class ContainerFixture implements AutoCloseable {
    private static final List<String> SHARED = List.of("io.torchtpu.api;version=0.2.0", "io.torchtpu.api.graph;version=0.1.0",
            "io.torchtpu.api.lowering;version=0.1.0");
    private final Container container;

    ContainerFixture() {
        ContainerOptions options = ContainerOptions.fromHome(ContainerOptions.defaultHome());
        SHARED.forEach(options::sharePackage);
        // pt2 only: the benchmarks read .pt2 fixtures in pure Java, so libtorch's threads stay out of the process
        List.of("cpu", "lowering", "engine", "pt2").forEach(options::addFeature);
        container = Container.start(options);
    }

    static Path model(String name) {
        String root = System.getProperty("torchtpu.models", "bnd-workspace/src/test/resources/models");
        return Path.of(root, name, "model.pt2").toAbsolutePath();
    }

    TorchTpu engine() {
        return service(TorchTpu.class, null);
    }

    Lowerer lowerer() {
        return service(Lowerer.class, null);
    }

    Tracer pt2Tracer() {
        return service(Tracer.class, "(" + Tracer.FORMAT_PROPERTY + "=pt2)");
    }

    Backend cpu() {
        return service(Backend.class, "(" + Backend.ID_PROPERTY + "=cpu)");
    }

    private <T> T service(Class<T> type, String filter) {
        BundleContext context = container.bundleContext();
        try {
            ServiceTracker<T, T> tracker = filter == null ? new ServiceTracker<>(context, type, null)
                    : new ServiceTracker<>(context, context.createFilter("(&(objectClass=" + type.getName() + ")" + filter + ")"), null);
            tracker.open();
            T service = tracker.waitForService(30_000);
            if (service == null) {
                throw new IllegalStateException(type.getSimpleName() + " " + (filter == null ? "" : filter) + " did not start: "
                        + container.startProblems());
            }
            return service;
        } catch (InvalidSyntaxException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        container.close();
    }

}
