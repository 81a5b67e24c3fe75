package io.torchtpu.tensorio;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NumPy's {@code .npy} format: the magic {@code \x93NUMPY}, a version (1, 2 or 3), a header length, a Python
 * dict literal with {@code descr}, {@code fortran_order} and {@code shape}, then the raw data. C order only;
 * object arrays are refused, never unpickled; big-endian data is swapped to little-endian.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {
    }

    public static HostTensor read(Path file) throws IOException {
        return read(file, TensorFileLimits.defaults());
    }

    public static HostTensor read(Path file, TensorFileLimits limits) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, Files.size(file), file, null, limits);
        }
    }

    /** Writes one tensor as a .npy file (version 1, or 2 for a header over 64 KiB). */
    public static void write(Path file, HostTensor tensor) throws IOException {
        byte[] header = header(file, null, tensor.type());
        AtomicFile.write(file, channel -> {
            Safetensors.writeFully(channel, ByteBuffer.wrap(header));
            Safetensors.writeFully(channel, tensor.data());
        });
    }

    /**
     * Reads one array from {@code in}, which holds {@code available} bytes ({@code -1} when unknown): the header is
     * checked, and its declared size against {@code available} and the limits, before the data is allocated.
     */
    static HostTensor read(InputStream in, long available, Path file, String entry, TensorFileLimits limits) throws IOException {
        byte[] prefix = readBytes(in, 8, file, entry, "the magic and version");
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix[i] != MAGIC[i]) {
                throw new TensorFileException(file, entry, "not a .npy array (the magic \\x93NUMPY is missing)");
            }
        }
        int major = prefix[6] & 0xFF;
        int minor = prefix[7] & 0xFF;
        if (major < 1 || major > 3) {
            throw new TensorFileException(file, entry, ".npy format version " + major + "." + minor
                    + " is not one this reader knows (1.0, 2.0, 3.0)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        ByteBuffer lengthBuffer = ByteBuffer.wrap(readBytes(in, lengthBytes, file, entry, "the header length")).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? lengthBuffer.getShort() & 0xFFFF : lengthBuffer.getInt() & 0xFFFFFFFFL;
        long prelude = 8 + lengthBytes;
        if (headerLength > limits.maxHeaderBytes() || (available >= 0 && prelude + headerLength > available)) {
            throw new TensorFileException(file, entry, "declares a header of " + headerLength + " bytes"
                    + (available >= 0 ? " in " + available + " bytes (truncated?)" : ", more than the limit"));
        }
        byte[] headerBytes = readBytes(in, (int) headerLength, file, entry, "the header");
        String text = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header header = Header.parse(text, file, entry);
        BigInteger bytes = BigInteger.valueOf(header.dtype().byteSize());
        for (long d : header.shape()) {
            bytes = bytes.multiply(BigInteger.valueOf(d));
        }
        if (bytes.compareTo(BigInteger.valueOf(limits.maxTensorBytes())) > 0) {
            throw new TensorFileException(file, entry, "declares " + bytes + " bytes of data, more than the limit of "
                    + limits.maxTensorBytes() + " for one tensor");
        }
        if (available >= 0 && bytes.compareTo(BigInteger.valueOf(available - prelude - headerLength)) > 0) {
            throw new TensorFileException(file, entry, "declares " + bytes + " bytes of data but holds only "
                    + (available - prelude - headerLength) + " (truncated?)");
        }
        HostTensor tensor = HostTensor.allocate(TensorType.of(header.dtype(), header.shape()));
        ByteBuffer target = tensor.data();
        byte[] chunk = new byte[64 * 1024];
        while (target.hasRemaining()) {
            int read = in.read(chunk, 0, Math.min(chunk.length, target.remaining()));
            if (read < 0) {
                throw new TensorFileException(file, entry, "the data ends after " + target.position() + " of " + bytes + " bytes (truncated?)");
            }
            target.put(chunk, 0, read);
        }
        if (header.bigEndian()) {
            swapToLittleEndian(tensor);
        }
        return tensor;
    }

    private static byte[] readBytes(InputStream in, int count, Path file, String entry, String what) throws IOException {
        try {
            byte[] bytes = in.readNBytes(count);
            if (bytes.length < count) {
                throw new EOFException();
            }
            return bytes;
        } catch (EOFException e) {
            throw new TensorFileException(file, entry, "ends inside " + what + " (truncated?)");
        }
    }

    private static void swapToLittleEndian(HostTensor tensor) {
        int size = tensor.type().dtype().byteSize();
        if (size == 1) {
            return;
        }
        ByteBuffer data = tensor.data();
        byte[] element = new byte[size];
        for (int at = 0; at < data.limit(); at += size) {
            data.get(at, element);
            for (int i = 0; i < size / 2; i++) {
                byte b = element[i];
                element[i] = element[size - 1 - i];
                element[size - 1 - i] = b;
            }
            data.put(at, element);
        }
    }

    /** The .npy descriptor of a dtype; bfloat16 has none in NumPy. */
    static String descriptor(Path file, String entry, DType dtype) throws TensorFileException {
        return switch (dtype) {
            case F64 -> "<f8";
            case F32 -> "<f4";
            case F16 -> "<f2";
            case I64 -> "<i8";
            case I32 -> "<i4";
            case I16 -> "<i2";
            case I8 -> "|i1";
            case U8 -> "|u1";
            case BOOL -> "|b1";
            case BF16 -> throw new TensorFileException(file, entry, "NumPy has no bfloat16; write bf16 tensors to safetensors");
        };
    }

    /** The whole prelude: magic, version, length and the dict, padded so that the data begins 64-byte aligned. */
    static byte[] header(Path file, String entry, TensorType type) throws TensorFileException {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descriptor(file, entry, type.dtype()))
                .append("', 'fortran_order': False, 'shape': (");
        long[] shape = type.shape();
        for (int i = 0; i < shape.length; i++) {
            dict.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        dict.append(shape.length == 1 ? ",), }" : "), }");
        int version = dict.length() + 1 + 10 < 65536 ? 1 : 2;
        int prelude = version == 1 ? 10 : 12;
        while ((prelude + dict.length() + 1) % 64 != 0) {
            dict.append(' ');
        }
        dict.append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(prelude + text.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) {
            out.putShort((short) text.length);
        } else {
            out.putInt(text.length);
        }
        return out.put(text).array();
    }

    static void writeTo(OutputStream out, byte[] header, HostTensor tensor) throws IOException {
        out.write(header);
        Channels.newChannel(out).write(tensor.data());
    }

    /** The parsed header dict. */
    record Header(DType dtype, boolean bigEndian, long[] shape) {

        static Header parse(String text, Path file, String entry) throws TensorFileException {
            Map<String, Object> dict;
            try {
                dict = new LiteralParser(text).dict();
            } catch (IllegalArgumentException e) {
                throw new TensorFileException(file, entry, "the .npy header is not a dict literal: " + e.getMessage());
            }
            Object descr = dict.get("descr");
            Object fortran = dict.get("fortran_order");
            Object shape = dict.get("shape");
            if (descr == null || fortran == null || shape == null) {
                throw new TensorFileException(file, entry, "the .npy header lacks descr, fortran_order or shape: " + text.strip());
            }
            if (!(descr instanceof String descriptor)) {
                throw new TensorFileException(file, entry, "has a structured dtype " + descr + "; only plain numeric arrays are read");
            }
            if (!(fortran instanceof Boolean fortranOrder)) {
                throw new TensorFileException(file, entry, "fortran_order is " + fortran + ", not True or False");
            }
            if (fortranOrder) {
                throw new TensorFileException(file, entry, "is stored in Fortran (column-major) order; save it C-contiguous "
                        + "(numpy.ascontiguousarray) and try again");
            }
            if (!(shape instanceof List<?> dims)) {
                throw new TensorFileException(file, entry, "shape is " + shape + ", not a tuple");
            }
            long[] dimensions = new long[dims.size()];
            for (int i = 0; i < dimensions.length; i++) {
                if (!(dims.get(i) instanceof Long d) || d < 0) {
                    throw new TensorFileException(file, entry, "shape " + shape + " is not a tuple of non-negative integers");
                }
                dimensions[i] = d;
            }
            return dtype(descriptor, file, entry, dimensions);
        }

        private static Header dtype(String descriptor, Path file, String entry, long[] shape) throws TensorFileException {
            if (descriptor.isEmpty()) {
                throw new TensorFileException(file, entry, "has an empty descr");
            }
            char order = descriptor.charAt(0);
            String code = "<>|=".indexOf(order) >= 0 ? descriptor.substring(1) : descriptor;
            boolean bigEndian = order == '>';
            if (code.startsWith("O")) {
                throw new TensorFileException(file, entry, "is an object array (descr '" + descriptor + "'): its elements are pickled "
                        + "Python objects, which TorchTPU never unpickles");
            }
            DType dtype = switch (code) {
                case "f8" -> DType.F64;
                case "f4" -> DType.F32;
                case "f2" -> DType.F16;
                case "i8" -> DType.I64;
                case "i4" -> DType.I32;
                case "i2" -> DType.I16;
                case "i1" -> DType.I8;
                case "u1" -> DType.U8;
                case "b1" -> DType.BOOL;
                default -> throw new TensorFileException(file, entry, "has dtype '" + descriptor + "', which TorchTPU does not support "
                        + "(it reads f8, f4, f2, i8, i4, i2, i1, u1 and b1)");
            };
            return new Header(dtype, bigEndian, shape);
        }
    }

    /** Parses the subset of Python literals a .npy header uses: a dict of str keys to str, bool, int and tuples. */
    static final class LiteralParser {
        private final String text;
        private int at;

        LiteralParser(String text) {
            this.text = text;
        }

        Map<String, Object> dict() {
            skipSpace();
            expect('{');
            Map<String, Object> dict = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (peek('}')) {
                    at++;
                    break;
                }
                Object key = value(0);
                if (!(key instanceof String name)) {
                    throw error("a key that is not a string");
                }
                skipSpace();
                expect(':');
                skipSpace();
                if (dict.put(name, value(0)) != null) {
                    throw error("the key '" + name + "' twice");
                }
                skipSpace();
                if (peek(',')) {
                    at++;
                } else {
                    skipSpace();
                    expect('}');
                    break;
                }
            }
            skipSpace();
            if (at != text.length()) {
                throw error("text after the dict");
            }
            return dict;
        }

        private Object value(int depth) {
            if (depth > 8) {
                throw error("nesting deeper than 8");
            }
            if (at >= text.length()) {
                throw error("the end of the header");
            }
            char c = text.charAt(at);
            if (c == '\'' || c == '"') {
                return string(c);
            }
            if (c == '(' || c == '[') {
                return sequence(c == '(' ? ')' : ']', depth);
            }
            if (text.startsWith("True", at)) {
                at += 4;
                return Boolean.TRUE;
            }
            if (text.startsWith("False", at)) {
                at += 5;
                return Boolean.FALSE;
            }
            if (c == '-' || Character.isDigit(c)) {
                int start = at++;
                while (at < text.length() && Character.isDigit(text.charAt(at))) {
                    at++;
                }
                if (at < text.length() && text.charAt(at) == 'L') {
                    at++; // Python 2 long literal
                    return parseLong(text.substring(start, at - 1));
                }
                return parseLong(text.substring(start, at));
            }
            throw error("'" + c + "'");
        }

        private Long parseLong(String digits) {
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("the integer " + digits);
            }
        }

        private String string(char quote) {
            int start = ++at;
            while (at < text.length() && text.charAt(at) != quote) {
                if (text.charAt(at) == '\\') {
                    throw error("an escape in a string");
                }
                at++;
            }
            if (at >= text.length()) {
                throw error("an unterminated string");
            }
            return text.substring(start, at++);
        }

        private List<Object> sequence(char close, int depth) {
            at++;
            List<Object> elements = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek(close)) {
                    at++;
                    return elements;
                }
                elements.add(value(depth + 1));
                if (elements.size() > 64) {
                    throw error("a sequence of more than 64 elements");
                }
                skipSpace();
                if (peek(',')) {
                    at++;
                } else {
                    skipSpace();
                    expect(close);
                    return elements;
                }
            }
        }

        private boolean peek(char c) {
            return at < text.length() && text.charAt(at) == c;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error(at < text.length() ? "'" + text.charAt(at) + "' where '" + c + "' belongs" : "the end where '" + c + "' belongs");
            }
            at++;
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private IllegalArgumentException error(String found) {
            return new IllegalArgumentException("found " + found + " at character " + at);
        }
    }
}
