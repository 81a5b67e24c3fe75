package io.torchtpu.api;

import java.nio.file.Path;
import java.util.List;

/**
 * Runs a model with PyTorch's own runtime, to check what a backend computes: libtorch for TorchScript
 * archives. Published as a service with {@value Tracer#FORMAT_PROPERTY} naming the format it runs.
 */
public interface ReferenceRunner {

    /** The format this runner runs, such as {@code torchscript}. */
    String format();

    /** Whether the file is a model this runner can run, judged from its contents. */
    boolean accepts(Path model);

    /**
     * Runs the model's forward on the inputs and returns its tensor outputs in order (nested tuples and
     * lists flattened depth first).
     *
     * @throws TraceException when the model cannot be loaded or run; the message names the file
     */
    List<HostTensor> run(Path model, List<HostTensor> inputs);
}
