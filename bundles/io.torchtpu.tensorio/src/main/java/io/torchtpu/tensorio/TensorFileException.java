package io.torchtpu.tensorio;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** A tensor file is malformed, exceeds a limit, or holds something this reader refuses; names the file and the entry. */
public class TensorFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String entry;

    public TensorFileException(Path file, String entry, String problem) {
        this(file, entry, problem, null);
    }

    public TensorFileException(Path file, String entry, String problem, Throwable cause) {
        super(file + (entry == null ? "" : ", entry '" + entry + "'") + ": " + problem, cause);
        this.file = file;
        this.entry = entry;
    }

    public Path file() {
        return file;
    }

    /** The tensor or archive entry the problem is in, when it is in one. */
    public Optional<String> entry() {
        return Optional.ofNullable(entry);
    }
}
