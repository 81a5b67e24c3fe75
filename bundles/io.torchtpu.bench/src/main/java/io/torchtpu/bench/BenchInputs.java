package io.torchtpu.bench;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.tensorio.TensorFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The inputs every peer gets: the model's example inputs ({@code inputs.safetensors} beside it), their
 * leading (batch) dimension repeated cyclically to the batch size. The same bytes in every process, and
 * valid token ids for the language models.
 */
final class BenchInputs {
    static final String EXAMPLE_INPUTS = "inputs.safetensors";

    private BenchInputs() {
    }

    static List<HostTensor> examples(Path model) throws IOException {
        Path file = model.toAbsolutePath().resolveSibling(EXAMPLE_INPUTS);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(model + ": the bench needs example inputs in " + file);
        }
        return new ArrayList<>(TensorFiles.read(file).values());
    }

    /**
     * The file to measure at {@code batch}: {@code model-b32.pt} beside {@code model.pt} when there is one, else the
     * model itself. Tracing bakes the example's batch size into some models (GPT-2's causal mask indexes by batch),
     * so such a model comes traced once per batch size; every peer runs the same file.
     */
    static Path modelAtBatch(Path model, int batch) {
        String name = model.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path perBatch = model.resolveSibling(dot < 0 ? name + "-b" + batch : name.substring(0, dot) + "-b" + batch + name.substring(dot));
        return Files.isRegularFile(perBatch) ? perBatch : model;
    }

    static List<HostTensor> atBatch(List<HostTensor> examples, int batch) {
        List<HostTensor> inputs = new ArrayList<>();
        for (HostTensor example : examples) {
            inputs.add(atBatch(example, batch));
        }
        return inputs;
    }

    static TensorType typeAtBatch(TensorType type, int batch) {
        long[] shape = type.shape();
        if (shape.length == 0) {
            return type;
        }
        shape[0] = batch;
        return TensorType.of(type.dtype(), shape);
    }

    private static HostTensor atBatch(HostTensor example, int batch) {
        TensorType type = typeAtBatch(example.type(), batch);
        if (type.rank() == 0) {
            return example;
        }
        HostTensor tensor = HostTensor.allocate(type);
        ByteBuffer source = example.data();
        ByteBuffer target = tensor.data();
        int rowBytes = Math.toIntExact(example.type().byteSize() / Math.max(1, example.type().dim(0)));
        long rows = example.type().dim(0);
        for (int row = 0; row < batch; row++) {
            int from = Math.toIntExact((row % rows) * rowBytes);
            target.put(row * rowBytes, source, from, rowBytes);
        }
        return tensor;
    }
}
