package io.torchtpu.api.lowering;

/** How an elementwise op's operand and result dtypes follow from its inputs (PyTorch's ELEMENTWISE_TYPE_PROMOTION_KIND). */
public enum Promotion {
    /** Operands converted to {@code result_type}, the result has it too ({@code add}, {@code maximum}). */
    DEFAULT,
    /** As DEFAULT, but an integer or bool result type becomes the default float ({@code div}, {@code exp}, {@code sigmoid}). */
    INT_TO_FLOAT,
    /** Operands converted to {@code result_type}, the result is bool ({@code eq}, {@code lt}). */
    ALWAYS_BOOL,
    /** As DEFAULT, but a bool result type becomes int64. */
    BOOL_TO_LONG
}
