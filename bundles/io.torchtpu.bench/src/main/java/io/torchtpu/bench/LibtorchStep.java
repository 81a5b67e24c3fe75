package io.torchtpu.bench;

import io.torchtpu.api.HostTensor;
import io.torchtpu.libtorch.TorchTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** One libtorch forward of a TorchScript file on fixed inputs, ready to repeat. */
final class LibtorchStep implements AutoCloseable {
    private final JitModule module;
    private final IValueVector arguments = new IValueVector();
    private final List<Tensor> keepAlive = new ArrayList<>();
    private final int threadsBefore;

    private LibtorchStep(Path model, List<HostTensor> inputs, int threads) {
        threadsBefore = torch.get_num_threads();
        torch.set_num_threads(threads);
        module = torch.load(model.toString());
        module.eval();
        for (HostTensor input : inputs) {
            Tensor tensor = TorchTensors.copy(input);
            keepAlive.add(tensor);
            arguments.push_back(new IValue(tensor));
        }
    }

    static LibtorchStep open(Path model, List<HostTensor> inputs, int threads) {
        return new LibtorchStep(model, inputs, threads);
    }

    void run() {
        try (NoGradGuard noGrad = new NoGradGuard(); PointerScope scope = new PointerScope()) {
            module.forward(arguments);
        }
    }

    @Override
    public void close() {
        keepAlive.clear();
        torch.set_num_threads(threadsBefore);
    }
}
