package io.torchtpu.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Apache Felix framework with TorchTPU's features. Hosts embed it through
 * {@link #start(ContainerOptions)}; {@link #close()} stops it and deletes its bundle cache.
 */
public final class Container implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Container.class);
    private static final long STOP_TIMEOUT_MILLIS = 60_000;

    /** Packages of the launcher's class path that bundles share with it, through the system bundle. */
    private static final List<String> LAUNCHER_PACKAGES = List.of(
            "org.slf4j;version=2.0.17", "org.slf4j.event;version=2.0.17", "org.slf4j.spi;version=2.0.17",
            "org.slf4j.helpers;version=2.0.17",
            "org.osgi.service.log;version=1.5.0", "org.osgi.service.cm;version=1.6.1");

    private final Framework framework;
    private final Path storage;
    private final OsgiLogBridge logBridge;
    private final ConfigurationApplier configurations;
    private final FeatureManager features;
    private List<String> startProblems = List.of();

    private Container(Framework framework, Path storage, ContainerOptions options) {
        this.framework = framework;
        this.storage = storage;
        BundleContext context = framework.getBundleContext();
        this.logBridge = new OsgiLogBridge(context);
        this.configurations = new ConfigurationApplier(context);
        this.features = new FeatureManager(context, new FeatureCatalog(options.featureDirectories()),
                new BundleRepository(options.repositories()), configurations);
        Hashtable<String, Object> commandProperties = new Hashtable<>();
        commandProperties.put("osgi.command.scope", "torchtpu");
        commandProperties.put("osgi.command.function", FeatureCommands.FUNCTIONS);
        context.registerService(Object.class, new FeatureCommands(features), commandProperties);
    }

    /**
     * Starts a framework and adds the requested features in order. A feature whose bundles partly fail
     * still starts the rest; see {@link #startProblems()}. The configuration file is applied as soon as
     * Configuration Admin runs, before later features start.
     *
     * @throws FeatureException when a feature or the configuration file cannot be found or read
     */
    public static Container start(ContainerOptions options) {
        Map<String, Object> properties = frameworkProperties(options);
        Path storage = (Path) properties.remove("torchtpu.storage");
        Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                .newFramework(toStrings(properties, options));
        Container container = null;
        try {
            framework.init();
            container = new Container(framework, storage, options);
            framework.start();
            var configFile = options.configFile().map(ConfigurationApplier::readFile);
            boolean configured = configFile.isEmpty();
            for (String feature : options.features()) {
                container.features.add(feature);
                if (!configured && container.hasConfigurationAdmin()) {
                    container.configurations.apply(configFile.get());
                    configured = true;
                }
            }
            if (!configured) {
                container.configurations.apply(configFile.get());
            }
            // judged once all features are in: a bundle may need one that a later feature brings
            container.startProblems = container.features.problems();
            container.startProblems.forEach(LOG::warn);
            LOG.info("container started with features {}", options.features());
            return container;
        } catch (BundleException | RuntimeException e) {
            if (container != null) {
                container.close();
            } else {
                deleteQuietly(storage);
            }
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("the OSGi framework did not start: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> frameworkProperties(ContainerOptions options) {
        Path storage;
        try {
            storage = Files.createTempDirectory("torchtpu-felix-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the framework's bundle cache: " + e.getMessage(), e);
        }
        Map<String, Object> properties = new HashMap<>();
        properties.put("torchtpu.storage", storage);
        properties.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        List<String> shared = new ArrayList<>(LAUNCHER_PACKAGES);
        shared.addAll(options.sharedPackages());
        properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",", shared));
        // the Gogo shell reads the terminal only when the shell command asks for it
        properties.put("gosh.args", "--nointeractive");
        properties.putAll(options.frameworkProperties());
        return properties;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Map<String, String> toStrings(Map<String, Object> properties, ContainerOptions options) {
        // Felix takes its logger as an object in this map, though FrameworkFactory's signature says String values
        Map map = new HashMap<>(properties);
        map.put("felix.log.logger", new FelixLogger());
        return map;
    }

    private boolean hasConfigurationAdmin() {
        return framework.getBundleContext().getServiceReference(ConfigurationAdmin.class) != null;
    }

    public BundleContext bundleContext() {
        return framework.getBundleContext();
    }

    public FeatureManager features() {
        return features;
    }

    /** One line for each bundle of the requested features that did not start, once all were added. */
    public List<String> startProblems() {
        return startProblems;
    }

    /** Blocks until the framework stops, for example through the shell's {@code stop 0}. */
    public void awaitStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    @Override
    public void close() {
        try {
            logBridge.close();
            configurations.close();
            framework.stop();
            FrameworkEvent event = framework.waitForStop(STOP_TIMEOUT_MILLIS);
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                LOG.warn("the framework did not stop within {} ms", STOP_TIMEOUT_MILLIS);
            }
        } catch (BundleException | IllegalStateException e) {
            LOG.warn("stopping the framework failed: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            deleteQuietly(storage);
        }
    }

    private static void deleteQuietly(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("could not delete {}: {}", directory, e.getMessage());
        }
    }
}
