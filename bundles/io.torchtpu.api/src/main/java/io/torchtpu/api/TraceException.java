package io.torchtpu.api;

/** A program could not be read; the message names the file, the entry or op, and what would fix it. */
public class TraceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TraceException(String message) {
        super(message);
    }

    public TraceException(String message, Throwable cause) {
        super(message, cause);
    }
}
