package io.torchtpu.examples.embedding;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.launcher.Container;
import io.torchtpu.launcher.ContainerOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A host that embeds TorchTPU: starts the container, gets the TorchTpu service, runs a model, stops.
 *
 * <pre>java -Dtorchtpu.home=runtime-launcher/target/torchtpu -cp ... EmbeddingExample MODEL.pt2</pre>
 */
public final class EmbeddingExample {
    /** The API packages the host shares with the bundles, so that both see the same TorchTpu class. */
    static final List<String> SHARED = List.of("io.torchtpu.api;version=0.2.0", "io.torchtpu.api.graph;version=0.1.0",
            "io.torchtpu.api.lowering;version=0.1.0");

    private EmbeddingExample() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: EmbeddingExample MODEL (a .pt2 or TorchScript .pt file)");
            System.exit(2);
        }
        run(Path.of(args[0]), System.out);
    }

    static void run(Path modelFile, PrintStream out) throws Exception {
        ContainerOptions options = ContainerOptions.fromHome(ContainerOptions.defaultHome());
        SHARED.forEach(options::sharePackage);
        List.of("cpu", "lowering", "engine", "libtorch", "torchscript", "pt2").forEach(options::addFeature);
        try (Container container = Container.start(options)) {
            ServiceTracker<TorchTpu, TorchTpu> tracker = new ServiceTracker<>(container.bundleContext(), TorchTpu.class, null);
            tracker.open();
            try {
                TorchTpu torchTpu = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
                if (torchTpu == null) {
                    throw new IllegalStateException("the TorchTpu service did not start: " + container.startProblems());
                }
                Model model = torchTpu.load("example", modelFile, "cpu", TraceOptions.defaults());
                out.println("loaded " + model.name() + " on " + model.backend() + ": " + model.inputTypes() + " -> " + model.outputTypes());
                List<HostTensor> inputs = model.inputTypes().stream().map(EmbeddingExample::random).toList();
                HostTensor output = model.runAsync(inputs).get(60, TimeUnit.SECONDS).get(0);
                out.println("output " + output.type() + " starts with " + firstValues(output));
                out.println("stats " + model.stats());
            } finally {
                tracker.close();
            }
        }
        out.println("stopped");
    }

    private static HostTensor random(TensorType type) {
        SplittableRandom random = new SplittableRandom(7);
        float[] values = new float[Math.toIntExact(type.elementCount())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return HostTensor.ofFloats(values, type.shape());
    }

    private static String firstValues(HostTensor tensor) {
        float[] values = tensor.toFloatArray();
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < Math.min(4, values.length); i++) {
            text.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", values[i]));
        }
        return text.append(", ...]").toString();
    }
}
