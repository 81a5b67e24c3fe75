package io.torchtpu.stablehlo;

/** An op was given operands or attributes whose types or shapes it does not accept; the message says which. */
public class HloTypeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public HloTypeException(String message) {
        super(message);
    }
}
