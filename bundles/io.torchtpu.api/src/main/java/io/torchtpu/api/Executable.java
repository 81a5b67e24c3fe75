package io.torchtpu.api;

import java.util.List;

/** A compiled program, loaded on a runtime's devices. Closing it releases its device resources. */
public interface Executable extends AutoCloseable {

    /** The types the program takes, in order. */
    List<TensorType> inputTypes();

    /** The types the program returns, in order. */
    List<TensorType> outputTypes();

    /** Runs the program on host tensors and returns its outputs as host tensors. */
    List<HostTensor> run(List<HostTensor> inputs);

    /**
     * Runs the program with the host tensors as its first arguments and the device buffers, uploaded by
     * this executable's runtime, as the arguments after them; only the host tensors are copied.
     */
    List<HostTensor> run(List<HostTensor> inputs, List<DeviceBuffer> resident);

    /**
     * As {@link #run(List, List)}, but writes the outputs into the given host tensors (of exactly the
     * output types), so that a caller can have them land in memory it owns, such as a libtorch tensor's.
     */
    void run(List<HostTensor> inputs, List<DeviceBuffer> resident, List<HostTensor> outputs);

    /** The runtime's serialized form, which {@link Runtime#deserialize} loads again. */
    byte[] serialize();

    @Override
    void close();
}
