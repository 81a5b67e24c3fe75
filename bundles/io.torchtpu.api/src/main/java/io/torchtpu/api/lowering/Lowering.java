package io.torchtpu.api.lowering;

/** The service properties that name what a lowering or decomposition covers. */
public final class Lowering {
    /** The ATen overload name(s) a service covers, such as {@code aten::add.Tensor}; a String or String[]. */
    public static final String OP_PROPERTY = "torchtpu.op";
    /** Optional: the backend id a service is limited to, such as {@code tpu-v6e}; absent for every backend. */
    public static final String BACKEND_PROPERTY = "torchtpu.backend";

    private Lowering() {
    }
}
