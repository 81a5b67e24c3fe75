package io.torchtpu.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The host API: reads PyTorch programs with the tracer for their format, compiles them for a backend,
 * and keeps them by name while they serve. Safe to call from many threads.
 */
public interface TorchTpu {

    /**
     * Reads {@code file}, lowers and compiles it for {@code backend}, and registers it as {@code name}; a
     * model already registered under that name is replaced once the new one is ready.
     *
     * @throws TraceException when no tracer reads the file or the file is not a valid program
     * @throws BackendUnavailableException when the backend is not running
     */
    Model load(String name, Path file, String backend, TraceOptions options);

    Optional<Model> model(String name);

    List<Model> models();

    /** Stops serving a model; requests in flight finish first. */
    void unload(String name);

    /** The compile cache's entries on disk, one line each (key and size), and where it is. */
    List<String> cacheEntries();

    /** Deletes the compile cache's entries on disk; returns how many. Models that serve keep running. */
    int clearCache();
}
