package io.torchtpu.tracer.torchscript;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.torchtpu.api.TraceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the checks a TorchScript archive passes in Java before libtorch reads it
 * (entry names, counts, declared sizes, checksums). A malformed archive must be refused with a
 * {@link TraceException}; any other exception, or an archive passed with an entry that escapes its root,
 * is a finding. Seeds: the MLP fixture's archive; the corpus is in {@code TorchScriptArchiveFuzzTestInputs/}.
 */
class TorchScriptArchiveFuzzTest {
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("torchscript-fuzz", ".pt");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void checksOrRefuses(byte[] data) throws IOException {
        Files.write(FILE, data);
        try {
            LoadedProgram.checkArchive(FILE);
        } catch (TraceException refused) {
            return;
        }
        // passed: then every entry stays inside the archive and the archive names its pickle
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(FILE.toFile())) {
            zip.stream().forEach(entry -> {
                if (entry.getName().startsWith("/") || entry.getName().contains("../")) {
                    throw new AssertionError("passed an archive with the entry " + entry.getName());
                }
            });
        }
    }
}
