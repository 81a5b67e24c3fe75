package io.torchtpu.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a tracer needs besides the file: the input types when the program does not fix them (TorchScript
 * takes them from example inputs or the user's {@code --input-shape}).
 */
public final class TraceOptions {
    private static final TraceOptions DEFAULTS = new TraceOptions(null);
    private final List<TensorType> inputTypes;

    private TraceOptions(List<TensorType> inputTypes) {
        this.inputTypes = inputTypes == null ? null : List.copyOf(inputTypes);
    }

    public static TraceOptions defaults() {
        return DEFAULTS;
    }

    /** The types of the program's tensor inputs, in order. */
    public TraceOptions withInputTypes(List<TensorType> types) {
        return new TraceOptions(Objects.requireNonNull(types, "types"));
    }

    /** The input types the user or the example inputs gave, if any. */
    public Optional<List<TensorType>> inputTypes() {
        return Optional.ofNullable(inputTypes);
    }

    @Override
    public String toString() {
        return "TraceOptions[inputTypes=" + inputTypes + "]";
    }
}
