package io.torchtpu.tracer.export;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * A serialized tensor's metadata (schema {@code TensorMeta}) with static sizes: dtype, sizes, strides and
 * storage offset, all in elements.
 */
record TensorMeta(DType dtype, long[] sizes, long[] strides, long storageOffset) {

    /**
     * @param what names the tensor in errors ({@code tensor x}, {@code weight fc1.weight})
     * @throws JsonObject.FormatException for a dynamic dimension, a dtype or layout the graph IR lacks, or a
     *     shape whose size overflows
     */
    static TensorMeta parse(JsonObject meta, String what) {
        long scalarType = meta.integer("dtype");
        DType dtype = ScalarTypes.dtype(scalarType);
        if (dtype == null) {
            throw new JsonObject.FormatException(what + " has dtype " + ScalarTypes.torchName(scalarType)
                    + ", which the graph IR does not support");
        }
        if (meta.has("layout") && meta.integer("layout") != ScalarTypes.STRIDED_LAYOUT) {
            throw new JsonObject.FormatException(what + " has layout " + ScalarTypes.layout(meta.integer("layout"))
                    + "; only dense (torch.strided) tensors are supported");
        }
        long[] sizes = staticInts(meta, "sizes", what);
        long[] strides = meta.has("strides") ? staticInts(meta, "strides", what) : contiguousStrides(sizes);
        long offset = meta.has("storage_offset") ? staticInt(meta.object("storage_offset"), what, "storage offset") : 0;
        for (long size : sizes) {
            if (size < 0) {
                throw new JsonObject.FormatException(what + " has a negative size in " + Arrays.toString(sizes));
            }
        }
        if (strides.length != sizes.length) {
            throw new JsonObject.FormatException(what + " has " + sizes.length + " sizes but " + strides.length + " strides");
        }
        for (long stride : strides) {
            if (stride < 0) {
                throw new JsonObject.FormatException(what + " has a negative stride in " + Arrays.toString(strides));
            }
        }
        if (offset < 0) {
            throw new JsonObject.FormatException(what + " has a negative storage offset " + offset);
        }
        TensorMeta result = new TensorMeta(dtype, sizes, strides, offset);
        result.byteSize(what);
        return result;
    }

    TensorType type() {
        return TensorType.of(dtype, sizes);
    }

    long elementCount(String what) {
        try {
            long count = 1;
            for (long size : sizes) {
                count = Math.multiplyExact(count, size);
            }
            return count;
        } catch (ArithmeticException e) {
            throw new JsonObject.FormatException(what + " declares sizes " + Arrays.toString(sizes) + " whose product overflows 64 bits");
        }
    }

    /** The bytes of the tensor laid out densely. */
    long byteSize(String what) {
        try {
            return Math.multiplyExact(elementCount(what), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new JsonObject.FormatException(what + " declares sizes " + Arrays.toString(sizes) + " whose byte size overflows 64 bits");
        }
    }

    /** The bytes of storage the tensor reaches: one past its last element, counted from the storage start. */
    long storageBytesNeeded(String what) {
        if (elementCount(what) == 0) {
            return 0;
        }
        try {
            long last = storageOffset;
            for (int i = 0; i < sizes.length; i++) {
                last = Math.addExact(last, Math.multiplyExact(sizes[i] - 1, strides[i]));
            }
            return Math.multiplyExact(last + 1, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new JsonObject.FormatException(what + " declares strides " + Arrays.toString(strides) + " that overflow 64 bits");
        }
    }

    /** Whether the elements lie in row-major order without gaps (dimensions of size one may have any stride). */
    boolean isContiguous() {
        long expected = 1;
        for (int i = sizes.length - 1; i >= 0; i--) {
            if (sizes[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= sizes[i];
        }
        return true;
    }

    static long[] contiguousStrides(long[] sizes) {
        long[] strides = new long[sizes.length];
        long stride = 1;
        for (int i = sizes.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= Math.max(sizes[i], 1);
        }
        return strides;
    }

    private static long[] staticInts(JsonObject meta, String key, String what) {
        List<Object> list = meta.list(key);
        long[] values = new long[list.size()];
        for (int i = 0; i < values.length; i++) {
            if (!(list.get(i) instanceof JsonObject symInt)) {
                throw new JsonObject.FormatException(meta.child(key) + "[" + i + "] should be an object, is "
                        + JsonObject.describe(list.get(i)));
            }
            values[i] = staticInt(symInt.at(meta.child(key) + "[" + i + "]"), what, key.equals("sizes") ? "dimension " + i : "stride " + i);
        }
        return values;
    }

    /** A schema SymInt that must be a plain int: {@code {"as_int": 3}}; {@code as_expr} means a dynamic shape. */
    static long staticInt(JsonObject symInt, String what, String part) {
        String kind = symInt.unionKind();
        if (kind.equals("as_int")) {
            return symInt.integer("as_int");
        }
        if (kind.equals("as_expr")) {
            JsonObject expr = symInt.object("as_expr");
            String text = expr.hasValue("expr_str") ? expr.string("expr_str") : "?";
            throw new JsonObject.FormatException(what + " has a dynamic " + part + " (" + text + "): dynamic shapes are not "
                    + "supported; export with static shapes (torch.export.export without dynamic_shapes)");
        }
        throw new JsonObject.FormatException(symInt.path() + " is a SymInt of unknown kind " + kind);
    }
}
