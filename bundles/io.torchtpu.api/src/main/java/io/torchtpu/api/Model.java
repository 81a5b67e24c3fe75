package io.torchtpu.api;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A model that serves: compiled for one backend at a time, movable to another while requests flow. */
public interface Model {

    String name();

    /** The file it was read from. */
    Path source();

    /** The id of the backend that serves it now. */
    String backend();

    /**
     * The backend it was loaded on or last swapped to. When that backend runs but cannot be used (a TPU backend
     * without chips) or goes away, the engine's fallback backend serves the model, and {@link #backend()} differs.
     */
    default String requestedBackend() {
        return backend();
    }

    List<TensorType> inputTypes();

    List<TensorType> outputTypes();

    /**
     * Runs the model. Inputs are checked against {@link #inputTypes()} before anything reaches the device.
     *
     * @throws IllegalArgumentException naming the input, the expected and the given type
     */
    List<HostTensor> run(List<HostTensor> inputs);

    /**
     * As {@link #run(List)}, writing the outputs into the given host tensors, which must have exactly the
     * types of {@link #outputTypes()}: no copy beyond the one from the device.
     */
    void run(List<HostTensor> inputs, List<HostTensor> outputs);

    /** {@link #run} on the engine's threads. */
    CompletableFuture<List<HostTensor>> runAsync(List<HostTensor> inputs);

    /**
     * Moves the model to another backend: compiles there in the background, switches when ready, lets
     * requests in flight on the old backend finish, then releases it. Requests never fail for a swap.
     */
    CompletableFuture<Void> swap(String backend);

    ModelStats stats();
}
