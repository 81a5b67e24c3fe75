package io.torchtpu.tracer.torchscript;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The fixture models the build commits under bnd-workspace's test resources. */
final class Fixtures {
    static final List<String> MODELS = List.of("mlp", "resnet18", "mobilenet_v2", "bert", "gpt2");

    private Fixtures() {
    }

    static Path directory(String model) {
        String root = System.getProperty("torchtpu.root", "../..");
        Path dir = Path.of(root, "bnd-workspace", "src", "test", "resources", "models", model);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixture " + dir.toAbsolutePath() + " is missing");
        }
        return dir;
    }

    static Path torchScript(String model) {
        return directory(model).resolve("model.pt");
    }
}
