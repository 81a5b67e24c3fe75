package io.torchtpu.libtorch;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.TensorType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Runs a model on libtorch tensors. Inputs are read in place (a contiguous CPU tensor is not copied on
 * the host) and outputs are libtorch tensors that the device's results are written into directly.
 */
public final class TorchModels {
    private TorchModels() {
    }

    /** Runs the model; the returned tensors own their memory. */
    public static List<Tensor> run(Model model, List<Tensor> inputs) {
        List<Tensor> keepAlive = new ArrayList<>();
        List<HostTensor> hostInputs = new ArrayList<>(inputs.size());
        for (Tensor input : inputs) {
            Tensor dense = input.contiguous();
            keepAlive.add(dense);
            hostInputs.add(view(dense));
        }
        List<Tensor> outputs = new ArrayList<>();
        List<HostTensor> hostOutputs = new ArrayList<>();
        for (TensorType type : model.outputTypes()) {
            Tensor output = torch.empty(type.shape(), new TensorOptions(TorchTensors.scalarType(type.dtype())),
                    new org.bytedeco.pytorch.MemoryFormatOptional());
            outputs.add(output);
            hostOutputs.add(view(output));
        }
        model.run(hostInputs, hostOutputs);
        // the views above point into these tensors' storage: they must live until the run is done
        keepAlive.clear();
        return outputs;
    }

    /** {@link #run} on the given executor. */
    public static CompletableFuture<List<Tensor>> runAsync(Model model, List<Tensor> inputs, Executor executor) {
        return CompletableFuture.supplyAsync(() -> run(model, inputs), executor);
    }

    /** A host tensor over a contiguous CPU tensor's memory, without copying it. */
    static HostTensor view(Tensor dense) {
        TensorType type = TensorType.of(TorchTensors.dtype(dense.scalar_type()), dense.sizes().vec().get());
        long bytes = type.byteSize();
        ByteBuffer memory = bytes == 0 ? ByteBuffer.allocateDirect(0) : new BytePointer(dense.data_ptr()).capacity(bytes).asByteBuffer();
        return HostTensor.wrap(type, memory);
    }
}
