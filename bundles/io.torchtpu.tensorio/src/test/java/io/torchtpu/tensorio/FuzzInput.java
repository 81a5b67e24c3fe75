package io.torchtpu.tensorio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One scratch file per fuzzing JVM that each input is written to, since the readers take files. */
final class FuzzInput {
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("tensorio-fuzz", ".bin");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private FuzzInput() {
    }

    static Path write(byte[] data) throws IOException {
        return Files.write(FILE, data);
    }
}
