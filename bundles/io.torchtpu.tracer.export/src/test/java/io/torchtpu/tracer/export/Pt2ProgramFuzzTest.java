package io.torchtpu.tracer.export;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Coverage-guided fuzzing (Jazzer) of the serialized program inside a well-formed .pt2 archive, past the zip layer
 * that {@link Pt2ArchiveFuzzTest} fuzzes: each input is the MLP fixture's {@code models/model.json}, mutated, in
 * an otherwise intact archive. The reader must build the graph or refuse the archive with a
 * {@link TraceException}; anything else is a finding. Seed: the fixture's program; corpus in
 * {@code Pt2ProgramFuzzTestInputs/}.
 */
class Pt2ProgramFuzzTest {
    private static final String PROGRAM = "model/models/model.json";
    private static final Map<String, byte[]> MLP;
    private static final Path FILE = Pt2ArchiveFuzzTest.scratchFile();

    static {
        try {
            MLP = Fixtures.entries(Fixtures.model("mlp").resolve("model.pt2"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private final ExportTracer tracer = new ExportTracer();

    @FuzzTest(maxDuration = "10s")
    void buildsOrRefuses(byte[] program) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>(MLP);
        entries.put(PROGRAM, program);
        Fixtures.write(FILE, entries);
        try {
            tracer.trace(FILE, TraceOptions.defaults());
        } catch (TraceException refused) {
            // the expected answer to a broken program
        }
    }
}
