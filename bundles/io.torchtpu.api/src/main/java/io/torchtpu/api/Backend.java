package io.torchtpu.api;

/**
 * A device backend, published as a service with the property {@value #ID_PROPERTY} naming it.
 * A backend owns its runtime: when the backend's configuration changes, the runtime is re-created.
 */
public interface Backend {

    /** The service property that names a backend, such as {@code cpu} or {@code tpu-v5e}. */
    String ID_PROPERTY = "torchtpu.backend";

    /** This backend's id, the value of {@value #ID_PROPERTY}. */
    String id();

    /** One line for operators: what device and plugin this backend drives. */
    String description();

    /**
     * The backend's live runtime.
     *
     * @throws BackendUnavailableException when the device or its plugin cannot be used, saying why
     */
    Runtime runtime();
}
