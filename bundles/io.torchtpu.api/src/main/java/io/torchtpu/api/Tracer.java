package io.torchtpu.api;

import io.torchtpu.api.graph.Graph;
import java.nio.file.Path;

/**
 * Reads one kind of PyTorch program into the graph IR. Published as a service with the property
 * {@value #FORMAT_PROPERTY} naming the format ({@code torchscript}, {@code pt2}).
 */
public interface Tracer {

    /** The service property that names the format a tracer reads. */
    String FORMAT_PROPERTY = "torchtpu.format";

    /** The format this tracer reads, the value of {@value #FORMAT_PROPERTY}. */
    String format();

    /**
     * Whether the file looks like this tracer's format, judged from its contents (not its name alone),
     * so that the engine can pick a tracer for a file the user names.
     */
    boolean accepts(Path model);

    /**
     * Reads a program and returns its graph, with parameters as graph constants.
     *
     * @throws TraceException when the file cannot be read, is not a valid program of this format, or
     *     uses something the tracer does not support; the message names the file and the entry or op
     */
    Graph trace(Path model, TraceOptions options);
}
