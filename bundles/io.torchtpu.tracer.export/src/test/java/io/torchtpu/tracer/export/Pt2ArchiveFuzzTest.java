package io.torchtpu.tracer.export;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the .pt2 reader on whole archive bytes: the zip table of contents, the
 * markers, entry names that escape the root, CRCs and sizes. {@link ExportTracer#accepts} must never throw, and
 * {@link ExportTracer#trace} must read the archive or refuse it with a {@link TraceException}. Seed: the MLP
 * fixture; corpus and findings in {@code Pt2ArchiveFuzzTestInputs/}. 10s per CI run ({@code jazzer.max_duration}).
 */
class Pt2ArchiveFuzzTest {
    private static final Path FILE = scratchFile();

    static Path scratchFile() {
        try {
            Path file = Files.createTempFile("pt2-fuzz", ".pt2");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private final ExportTracer tracer = new ExportTracer();

    @FuzzTest(maxDuration = "10s")
    void readsOrRefuses(byte[] data) throws IOException {
        Files.write(FILE, data);
        tracer.accepts(FILE);
        try {
            tracer.trace(FILE, TraceOptions.defaults());
        } catch (TraceException refused) {
            // the expected answer to a broken archive
        }
    }
}
