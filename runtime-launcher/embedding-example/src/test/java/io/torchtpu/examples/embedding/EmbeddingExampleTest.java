package io.torchtpu.examples.embedding;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The example, run as a host would run it: a real container, the real engine, a fixture model. */
class EmbeddingExampleTest {

    @Test
    void aHostRunsAModelThroughTheSharedApiAndStopsCleanly() throws Exception {
        Path model = Path.of(System.getProperty("torchtpu.root"), "bnd-workspace/src/test/resources/models/mlp/model.pt2");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EmbeddingExample.run(model, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("loaded example on cpu: [tensor<4x32xf32>] -> [tensor<4x10xf32>]"), out);
        assertTrue(out.contains("output tensor<4x10xf32> starts with ["), out);
        assertTrue(out.contains("requests=1, failures=0"), out);
        assertTrue(out.trim().endsWith("stopped"), out);
    }
}
