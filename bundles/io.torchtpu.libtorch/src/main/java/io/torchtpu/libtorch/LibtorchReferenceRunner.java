package io.torchtpu.libtorch;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.ReferenceRunner;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.Tracer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TupleElements;
import org.bytedeco.pytorch.global.torch;
import org.osgi.service.component.annotations.Component;

/** Runs TorchScript archives' forward with libtorch, in eval mode and without autograd. */
@Component(property = Tracer.FORMAT_PROPERTY + "=torchscript")
public final class LibtorchReferenceRunner implements ReferenceRunner {

    @Override
    public String format() {
        return "torchscript";
    }

    /** A TorchScript archive is a zip with a code folder and a data.pkl under its top folder. */
    @Override
    public boolean accepts(Path model) {
        if (!Files.isRegularFile(model)) {
            return false;
        }
        try (ZipFile zip = new ZipFile(model.toFile())) {
            boolean code = false;
            boolean data = false;
            for (var entries = zip.entries(); entries.hasMoreElements();) {
                String name = entries.nextElement().getName();
                code |= name.contains("/code/");
                data |= name.endsWith("/data.pkl");
            }
            return code && data;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public List<HostTensor> run(Path model, List<HostTensor> inputs) {
        if (!accepts(model)) {
            throw new TraceException(model + ": not a TorchScript archive (a zip with code/ and data.pkl, as torch.jit.save writes)");
        }
        JitModule module;
        try {
            module = torch.load(model.toString());
        } catch (RuntimeException e) {
            throw new TraceException(model + ": libtorch could not load it: " + e.getMessage(), e);
        }
        module.eval();
        try (var guard = new org.bytedeco.pytorch.NoGradGuard()) {
            IValueVector arguments = new IValueVector();
            List<Tensor> keepAlive = new ArrayList<>();
            for (HostTensor input : inputs) {
                Tensor tensor = TorchTensors.copy(input);
                keepAlive.add(tensor);
                arguments.push_back(new IValue(tensor));
            }
            IValue result;
            try {
                result = module.forward(arguments);
            } catch (RuntimeException e) {
                throw new TraceException(model + ": libtorch's forward failed: " + e.getMessage(), e);
            }
            List<HostTensor> outputs = new ArrayList<>();
            flatten(result, outputs, model);
            return outputs;
        }
    }

    private static void flatten(IValue value, List<HostTensor> outputs, Path model) {
        if (value.isTensor()) {
            outputs.add(TorchTensors.toHost(value.toTensor()));
        } else if (value.isTuple()) {
            TupleElements elements = value.toTuple().elements();
            for (long i = 0; i < elements.size(); i++) {
                flatten(elements.get(i), outputs, model);
            }
        } else if (value.isTensorList()) {
            var tensors = value.toTensorVector();
            for (long i = 0; i < tensors.size(); i++) {
                outputs.add(TorchTensors.toHost(tensors.get(i)));
            }
        } else {
            throw new TraceException(model + ": forward returned " + value.tagKind().getString()
                    + ", not tensors, tuples or lists of tensors");
        }
    }
}
