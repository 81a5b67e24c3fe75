package io.torchtpu.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How to start a container: where features and bundles are found, which features to add, the
 * configuration file, and extra framework properties. Start from {@link #fromHome(Path)}.
 */
public final class ContainerOptions {
    /** The system property naming the distribution folder (bin/, lib/, features/, repository/). */
    public static final String HOME_PROPERTY = "torchtpu.home";

    private final List<Path> featureDirectories = new ArrayList<>();
    private final List<Path> repositories = new ArrayList<>();
    private final List<String> features = new ArrayList<>();
    private final Map<String, String> frameworkProperties = new LinkedHashMap<>();
    private final List<String> sharedPackages = new ArrayList<>();
    private Path configFile;

    private ContainerOptions() {
    }

    /**
     * Options for a distribution folder: its features/ and repository/, the user's local Maven
     * repository after it, and the core feature.
     */
    public static ContainerOptions fromHome(Path home) {
        ContainerOptions options = new ContainerOptions();
        options.featureDirectories.add(home.resolve("features"));
        options.repositories.add(home.resolve("repository"));
        Path localMaven = Path.of(System.getProperty("user.home"), ".m2", "repository");
        if (Files.isDirectory(localMaven)) {
            options.repositories.add(localMaven);
        }
        options.features.add("core");
        return options;
    }

    /** The distribution folder from {@value #HOME_PROPERTY} or {@code TORCHTPU_HOME}. */
    public static Path defaultHome() {
        String home = System.getProperty(HOME_PROPERTY, System.getenv("TORCHTPU_HOME"));
        if (home == null || home.isBlank()) {
            throw new FeatureException("the TorchTPU home folder is not set: run bin/torchtpu from the distribution "
                    + "(runtime-launcher/target/torchtpu after `mvn install`), or set -D" + HOME_PROPERTY);
        }
        return Path.of(home);
    }

    public ContainerOptions addFeature(String nameOrPath) {
        if (!features.contains(nameOrPath)) {
            features.add(nameOrPath);
        }
        return this;
    }

    public ContainerOptions addFeatureDirectory(Path directory) {
        featureDirectories.add(0, directory);
        return this;
    }

    public ContainerOptions addRepository(Path directory) {
        repositories.add(0, directory);
        return this;
    }

    public ContainerOptions configFile(Path file) {
        this.configFile = file;
        return this;
    }

    public ContainerOptions frameworkProperty(String key, String value) {
        frameworkProperties.put(key, value);
        return this;
    }

    /**
     * Exports a package of the host's class path from the system bundle, such as
     * {@code io.torchtpu.api;version=0.2.0}, so that the host and the bundles share its classes.
     */
    public ContainerOptions sharePackage(String exportClause) {
        sharedPackages.add(exportClause);
        return this;
    }

    List<Path> featureDirectories() {
        return List.copyOf(featureDirectories);
    }

    List<Path> repositories() {
        return List.copyOf(repositories);
    }

    List<String> features() {
        return List.copyOf(features);
    }

    Optional<Path> configFile() {
        return Optional.ofNullable(configFile);
    }

    Map<String, String> frameworkProperties() {
        return Map.copyOf(frameworkProperties);
    }

    List<String> sharedPackages() {
        return List.copyOf(sharedPackages);
    }
}
