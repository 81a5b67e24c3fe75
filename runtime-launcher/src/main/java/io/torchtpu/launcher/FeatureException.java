package io.torchtpu.launcher;

/** A feature could not be read or added; the message names the file, the bundle and what is missing. */
public class FeatureException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FeatureException(String message) {
        super(message);
    }

    public FeatureException(String message, Throwable cause) {
        super(message, cause);
    }
}
