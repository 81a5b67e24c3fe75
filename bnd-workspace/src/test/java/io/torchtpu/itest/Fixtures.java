package io.torchtpu.itest;

import io.torchtpu.api.HostTensor;
import io.torchtpu.tensorio.TensorFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The fixture models (bnd-workspace/src/test/resources/models), found through the framework property the bndrun sets. */
final class Fixtures {
    static final List<String> MODELS = List.of("mlp", "resnet18", "mobilenet_v2", "bert", "gpt2");

    private Fixtures() {
    }

    static Path directory(String model) {
        String root = System.getProperty("torchtpu.itest.models");
        if (root == null) {
            throw new IllegalStateException("torchtpu.itest.models is not set: run the tests through itest.bndrun");
        }
        return Path.of(root, model);
    }

    static List<HostTensor> inputs(String model) {
        return read(directory(model).resolve("inputs.safetensors"));
    }

    static List<HostTensor> reference(String model) {
        return read(directory(model).resolve("reference.safetensors"));
    }

    private static List<HostTensor> read(Path file) {
        try {
            return new ArrayList<>(TensorFiles.read(file).values());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The largest |a - b| over the largest |b|: the relative error verify reports. */
    static double relativeError(HostTensor actual, HostTensor expected) {
        float[] a = actual.toFloatArray();
        float[] b = expected.toFloatArray();
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return Double.isNaN(worst) ? Double.NaN : worst / (scale == 0 ? 1 : scale);
    }
}
