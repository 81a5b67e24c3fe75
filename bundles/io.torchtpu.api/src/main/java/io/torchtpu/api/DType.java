package io.torchtpu.api;

/** Element types of tensors, with the names PyTorch and StableHLO give them. */
public enum DType {
    F64("torch.float64", "f64", 8),
    F32("torch.float32", "f32", 4),
    F16("torch.float16", "f16", 2),
    BF16("torch.bfloat16", "bf16", 2),
    I64("torch.int64", "i64", 8),
    I32("torch.int32", "i32", 4),
    I16("torch.int16", "i16", 2),
    I8("torch.int8", "i8", 1),
    U8("torch.uint8", "ui8", 1),
    BOOL("torch.bool", "i1", 1);

    private final String torchName;
    private final String stableHloName;
    private final int byteSize;

    DType(String torchName, String stableHloName, int byteSize) {
        this.torchName = torchName;
        this.stableHloName = stableHloName;
        this.byteSize = byteSize;
    }

    /** The name PyTorch prints, such as {@code torch.float32}. */
    public String torchName() {
        return torchName;
    }

    /** The element type as StableHLO writes it, such as {@code f32} or {@code i1}. */
    public String stableHloName() {
        return stableHloName;
    }

    /** Bytes one element takes in a dense host buffer. */
    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }
}
