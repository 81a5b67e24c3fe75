package io.torchtpu.api;

/**
 * A tensor held on a runtime's device, such as a model's weights uploaded once and passed to every run.
 * Closing it frees the device memory; a closed buffer cannot be used again.
 */
public interface DeviceBuffer extends AutoCloseable {

    TensorType type();

    /** Copies the buffer back to the host. */
    HostTensor toHost();

    @Override
    void close();
}
