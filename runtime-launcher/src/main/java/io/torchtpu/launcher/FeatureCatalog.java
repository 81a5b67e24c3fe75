package io.torchtpu.launcher;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.felix.feature.impl.FeatureServiceImpl;
import org.osgi.service.feature.Feature;
import org.osgi.service.feature.FeatureService;

/**
 * The OSGi R8 feature files a container knows, by short name: {@code features/cpu.json} is the feature
 * {@code cpu}. A name may also be a path to a feature file anywhere.
 */
public final class FeatureCatalog {
    private final FeatureService featureService = new FeatureServiceImpl();
    private final List<Path> directories;

    public FeatureCatalog(List<Path> directories) {
        this.directories = List.copyOf(directories);
    }

    /** Every feature file in the catalog's directories, by short name, unread. */
    public Map<String, Path> files() {
        Map<String, Path> files = new TreeMap<>();
        for (Path directory : directories) {
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (Stream<Path> entries = Files.list(directory)) {
                entries.filter(p -> p.getFileName().toString().endsWith(".json"))
                        .forEach(p -> files.putIfAbsent(shortName(p), p));
            } catch (IOException e) {
                throw new FeatureException("cannot list feature directory " + directory + ": " + e.getMessage(), e);
            }
        }
        return files;
    }

    /** Finds a feature by short name or file path. */
    public Optional<Path> find(String nameOrPath) {
        Path asPath = Path.of(nameOrPath);
        if (nameOrPath.endsWith(".json") && Files.isRegularFile(asPath)) {
            return Optional.of(asPath.toAbsolutePath());
        }
        return Optional.ofNullable(files().get(nameOrPath));
    }

    /** Reads and validates one feature file; a malformed one gives an error that names the file. */
    public Feature read(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Feature feature = featureService.readFeature(reader);
            List<String> missingIds = new ArrayList<>();
            feature.getBundles().forEach(b -> {
                if (b.getID() == null) {
                    missingIds.add("a bundle entry has no id");
                }
            });
            if (!missingIds.isEmpty()) {
                throw new FeatureException(file + ": " + missingIds.get(0));
            }
            return feature;
        } catch (IOException | RuntimeException e) {
            if (e instanceof FeatureException fe) {
                throw fe;
            }
            throw new FeatureException(file + ": not a valid OSGi feature file: " + rootMessage(e)
                    + " (see the OSGi R8 Feature Service specification, section 159)", e);
        }
    }

    static String shortName(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - ".json".length());
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }
}
