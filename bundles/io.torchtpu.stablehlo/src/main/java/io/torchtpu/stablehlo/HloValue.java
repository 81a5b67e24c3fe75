package io.torchtpu.stablehlo;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import java.util.Objects;

/** An SSA value of a function being built: its MLIR name (such as {@code %3}) and its tensor type. */
public record HloValue(String name, TensorType type) {
    public HloValue {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
    }

    public DType dtype() {
        return type.dtype();
    }

    public long[] shape() {
        return type.shape();
    }

    public int rank() {
        return type.rank();
    }

    @Override
    public String toString() {
        return name + ": " + type;
    }
}
