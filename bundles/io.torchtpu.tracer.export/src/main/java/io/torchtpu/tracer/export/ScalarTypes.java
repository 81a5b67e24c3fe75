package io.torchtpu.tracer.export;

import io.torchtpu.api.DType;

/** The integer enums of PyTorch's export schema ({@code torch/_export/serde/schema.py}): ScalarType, Layout, MemoryFormat. */
final class ScalarTypes {
    private ScalarTypes() {
    }

    /** The DType of a schema ScalarType, or null where the graph IR has none (complex, float8, uint16). */
    static DType dtype(long scalarType) {
        return switch ((int) scalarType) {
            case 1 -> DType.U8;
            case 2 -> DType.I8;
            case 3 -> DType.I16;
            case 4 -> DType.I32;
            case 5 -> DType.I64;
            case 6 -> DType.F16;
            case 7 -> DType.F32;
            case 8 -> DType.F64;
            case 12 -> DType.BOOL;
            case 13 -> DType.BF16;
            default -> null;
        };
    }

    /** PyTorch's name of a schema ScalarType, for messages about the ones the graph IR lacks. */
    static String torchName(long scalarType) {
        return switch ((int) scalarType) {
            case 0 -> "unknown";
            case 9 -> "torch.complex32";
            case 10 -> "torch.complex64";
            case 11 -> "torch.complex128";
            case 28 -> "torch.uint16";
            case 29 -> "torch.float8_e4m3fn";
            case 30 -> "torch.float8_e5m2";
            case 31 -> "torch.float8_e4m3fnuz";
            case 32 -> "torch.float8_e5m2fnuz";
            default -> dtype(scalarType) == null ? "scalar type " + scalarType : dtype(scalarType).torchName();
        };
    }

    static final long STRIDED_LAYOUT = 7;

    /** A Layout argument as PyTorch prints it ({@code torch.strided}). */
    static String layout(long layout) {
        return switch ((int) layout) {
            case 1 -> "torch.sparse_coo";
            case 2 -> "torch.sparse_csr";
            case 3 -> "torch.sparse_csc";
            case 4 -> "torch.sparse_bsr";
            case 5 -> "torch.sparse_bsc";
            case 6 -> "torch._mkldnn";
            case 7 -> "torch.strided";
            default -> "unknown layout " + layout;
        };
    }

    /** A MemoryFormat argument as PyTorch prints it ({@code torch.contiguous_format}). */
    static String memoryFormat(long format) {
        return switch ((int) format) {
            case 1 -> "torch.contiguous_format";
            case 2 -> "torch.channels_last";
            case 3 -> "torch.channels_last_3d";
            case 4 -> "torch.preserve_format";
            default -> "unknown memory format " + format;
        };
    }
}
