package io.torchtpu.api.lowering;

/** Lowering a graph failed; the message names the op, its source location and the bundle whose lowering failed. */
public class LoweringException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LoweringException(String message) {
        super(message);
    }

    public LoweringException(String message, Throwable cause) {
        super(message, cause);
    }
}
