package io.torchtpu.examples.mlp;

import io.torchtpu.api.Backend;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code torchtpu:mlp [BACKEND]}: a two-layer perceptron (16 -> 32 -> 8, relu, batch 4) written as
 * StableHLO, compiled and run on a backend, printed beside libtorch computing the same thing.
 */
@Component(service = MlpCommand.class, property = {"osgi.command.scope=torchtpu", "osgi.command.function=mlp"})
public final class MlpCommand {
    static final int BATCH = 4;
    static final int IN = 16;
    static final int HIDDEN = 32;
    static final int OUT = 8;
    static final float TOLERANCE = 1e-4f;

    static final String PROGRAM = """
            module @mlp {
              func.func public @main(%x: tensor<4x16xf32>, %w1: tensor<16x32xf32>, %b1: tensor<32xf32>,
                                     %w2: tensor<32x8xf32>, %b2: tensor<8xf32>) -> tensor<4x8xf32> {
                %h = stablehlo.dot_general %x, %w1, contracting_dims = [1] x [0] : (tensor<4x16xf32>, tensor<16x32xf32>) -> tensor<4x32xf32>
                %hb = stablehlo.broadcast_in_dim %b1, dims = [1] : (tensor<32xf32>) -> tensor<4x32xf32>
                %h1 = stablehlo.add %h, %hb : tensor<4x32xf32>
                %zero = stablehlo.constant dense<0.0> : tensor<4x32xf32>
                %r = stablehlo.maximum %h1, %zero : tensor<4x32xf32>
                %o = stablehlo.dot_general %r, %w2, contracting_dims = [1] x [0] : (tensor<4x32xf32>, tensor<32x8xf32>) -> tensor<4x8xf32>
                %ob = stablehlo.broadcast_in_dim %b2, dims = [1] : (tensor<8xf32>) -> tensor<4x8xf32>
                %y = stablehlo.add %o, %ob : tensor<4x8xf32>
                return %y : tensor<4x8xf32>
              }
            }
            """;

    private final List<Backend> backends = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(Backend backend) {
        backends.add(backend);
    }

    void removeBackend(Backend backend) {
        backends.remove(backend);
    }

    public String mlp() {
        return mlp("cpu");
    }

    public String mlp(String backendId) {
        Backend backend = backends.stream().filter(b -> b.id().equals(backendId)).findFirst().orElse(null);
        if (backend == null) {
            return "error: no backend '" + backendId + "'; running: "
                    + String.join(", ", backends.stream().map(Backend::id).toList()) + "\n";
        }
        float[][] inputs = {random(1, BATCH * IN), random(2, IN * HIDDEN), random(3, HIDDEN), random(4, HIDDEN * OUT),
            random(5, OUT)};
        long[][] shapes = {{BATCH, IN}, {IN, HIDDEN}, {HIDDEN}, {HIDDEN, OUT}, {OUT}};

        Runtime runtime = backend.runtime();
        float[] ours;
        long compileNanos;
        long runNanos;
        try {
            long start = System.nanoTime();
            try (Executable executable = runtime.compile(PROGRAM, Map.of())) {
                compileNanos = System.nanoTime() - start;
                List<HostTensor> arguments = new ArrayList<>();
                for (int i = 0; i < inputs.length; i++) {
                    arguments.add(HostTensor.ofFloats(inputs[i], shapes[i]));
                }
                start = System.nanoTime();
                ours = executable.run(arguments).get(0).toFloatArray();
                runNanos = System.nanoTime() - start;
            }
        } catch (RuntimeException e) {
            return "error: backend " + backendId + " failed: " + e.getMessage() + "\n";
        }
        float[] reference = libtorch(inputs, shapes);
        return report(backend, ours, reference, compileNanos, runNanos);
    }

    /** relu(x @ w1 + b1) @ w2 + b2, by libtorch. */
    static float[] libtorch(float[][] inputs, long[][] shapes) {
        Tensor[] t = new Tensor[inputs.length];
        List<FloatPointer> pointers = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            FloatPointer pointer = new FloatPointer(inputs[i]);
            pointers.add(pointer);
            t[i] = torch.from_blob(pointer, shapes[i], new TensorOptions(torch.ScalarType.Float));
        }
        Tensor y = torch.relu(t[0].matmul(t[1]).add(t[2])).matmul(t[3]).add(t[4]).contiguous();
        float[] values = new float[BATCH * OUT];
        new FloatPointer(y.data_ptr_float()).capacity(values.length).get(values);
        pointers.forEach(FloatPointer::close);
        return values;
    }

    private static String report(Backend backend, float[] ours, float[] reference, long compileNanos, long runNanos) {
        float worst = 0;
        for (int i = 0; i < ours.length; i++) {
            worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
        }
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "MLP %d -> %d -> %d (relu), batch %d, as StableHLO on backend %s: %s%n",
                IN, HIDDEN, OUT, BATCH, backend.id(), backend.description()));
        text.append(String.format(Locale.ROOT, "compiled in %.1f ms, ran in %.3f ms%n", compileNanos / 1e6, runNanos / 1e6));
        for (int row = 0; row < BATCH; row++) {
            text.append(String.format(Locale.ROOT, "row %d  torchtpu %s%n       libtorch %s%n", row, row(ours, row), row(reference, row)));
        }
        text.append(String.format(Locale.ROOT, "max |torchtpu - libtorch| = %.3g over %d values: %s%n", worst, ours.length,
                worst <= TOLERANCE ? "match" : "MISMATCH (tolerance " + TOLERANCE + ")"));
        return text.toString();
    }

    private static String row(float[] values, int row) {
        StringBuilder text = new StringBuilder("[");
        for (int j = 0; j < OUT; j++) {
            text.append(String.format(Locale.ROOT, j == 0 ? "%8.4f" : " %8.4f", values[row * OUT + j]));
        }
        return text.append(']').toString();
    }

    private static float[] random(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
