package io.torchtpu.backend.tpu;

import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.Tracer;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.lowering.Lowerer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A model file to StableHLO text, the engine's way: the tracer that accepts the file, then the lowerer
 * for the target's backend id. A {@code .mlir} file is taken as StableHLO already.
 */
final class ModelToStableHlo {
    private ModelToStableHlo() {
    }

    static String lower(Path model, List<Tracer> tracers, Lowerer lowerer, String backendId) {
        if (!Files.isRegularFile(model)) {
            throw new TraceException(model + ": no such file");
        }
        if (model.getFileName().toString().endsWith(".mlir")) {
            try {
                return Files.readString(model);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Tracer tracer = tracers.stream().filter(t -> t.accepts(model)).findFirst().orElseThrow(() -> new TraceException(
                model + ": no tracer reads this file; the running tracers read " + (tracers.isEmpty()
                        ? "nothing (add the pt2 or torchscript feature)"
                        : String.join(", ", tracers.stream().map(Tracer::format).toList()))));
        if (lowerer == null) {
            throw new IllegalStateException("no lowering registry runs: add the lowering feature");
        }
        Graph graph = tracer.trace(model, TraceOptions.defaults());
        return lowerer.lower(graph, backendId).text();
    }
}
