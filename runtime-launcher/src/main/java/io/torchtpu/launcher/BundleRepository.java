package io.torchtpu.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.osgi.service.feature.ID;

/** Finds the jar of a feature's bundle id in directories laid out like a Maven repository. */
public final class BundleRepository {
    private final List<Path> roots;

    public BundleRepository(List<Path> roots) {
        this.roots = List.copyOf(roots);
    }

    public List<Path> roots() {
        return roots;
    }

    /** The first root that holds {@code id}, in the order the roots were given. */
    public Optional<Path> locate(ID id) {
        String relative = relativePath(id);
        return roots.stream().map(root -> root.resolve(relative)).filter(Files::isRegularFile).findFirst();
    }

    static String relativePath(ID id) {
        String type = id.getType().orElse("jar");
        String classifier = id.getClassifier().map(c -> "-" + c).orElse("");
        return id.getGroupId().replace('.', '/') + "/" + id.getArtifactId() + "/" + id.getVersion() + "/"
                + id.getArtifactId() + "-" + id.getVersion() + classifier + "." + type;
    }

    /** The roots as one line for messages. */
    public String describe() {
        return roots.stream().map(Path::toString).collect(Collectors.joining(", "));
    }
}
