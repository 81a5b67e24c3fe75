package io.torchtpu.tensorio;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming every tensor's dtype,
 * shape and byte range, then the raw little-endian data. All ten TorchTPU dtypes, under their safetensors
 * names (which are the {@link DType} constant names).
 */
public final class Safetensors {
    static final String METADATA = "__metadata__";

    private Safetensors() {
    }

    public static Map<String, HostTensor> read(Path file) throws IOException {
        return read(file, TensorFileLimits.defaults());
    }

    /** The tensors in header order; every size is checked against the file and the limits before any is read. */
    public static Map<String, HostTensor> read(Path file, TensorFileLimits limits) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new TensorFileException(file, null, "not a safetensors file: " + fileSize
                        + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, file, null);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 0 || headerLength > limits.maxHeaderBytes()) {
                throw new TensorFileException(file, null, "declares a header of " + Long.toUnsignedString(headerLength)
                        + " bytes, more than the limit of " + limits.maxHeaderBytes() + " (not a safetensors file?)");
            }
            if (8 + headerLength > fileSize) {
                throw new TensorFileException(file, null, "declares a header of " + headerLength + " bytes but the file has only "
                        + (fileSize - 8) + " after the length (truncated?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8, file, null);
            Map<String, Object> header = parseHeader(file, headerBytes.array());
            long dataStart = 8 + headerLength;
            List<Entry> entries = entries(file, header, fileSize - dataStart, limits);
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (Entry entry : entries) {
                HostTensor tensor = HostTensor.allocate(entry.type());
                ByteBuffer target = tensor.data();
                readFully(channel, target, dataStart + entry.begin(), file, entry.name());
                tensors.put(entry.name(), tensor);
            }
            return tensors;
        }
    }

    /** The string-to-string {@code __metadata__} of the header, empty when there is none. */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, file, null);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 0 || headerLength > TensorFileLimits.defaults().maxHeaderBytes() || 8 + headerLength > channel.size()) {
                throw new TensorFileException(file, null, "declares a header of " + Long.toUnsignedString(headerLength)
                        + " bytes; the file has " + channel.size());
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8, file, null);
            return metadata(file, parseHeader(file, headerBytes.array()));
        }
    }

    private record Entry(String name, TensorType type, long begin, long end) {
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parseHeader(Path file, byte[] bytes) throws TensorFileException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TensorFileException(file, null, "the header is not UTF-8 (not a safetensors file?)", e);
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TensorFileException(file, null, "the header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map)) {
            throw new TensorFileException(file, null, "the header is JSON but not an object");
        }
        return (Map<String, Object>) parsed;
    }

    private static Map<String, String> metadata(Path file, Map<String, Object> header) throws TensorFileException {
        Object metadata = header.get(METADATA);
        Map<String, String> result = new LinkedHashMap<>();
        if (metadata == null) {
            return result;
        }
        if (!(metadata instanceof Map<?, ?> map)) {
            throw new TensorFileException(file, METADATA, "is not an object of strings");
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String value)) {
                throw new TensorFileException(file, METADATA, "member " + e.getKey() + " is not a string");
            }
            result.put((String) e.getKey(), value);
        }
        return result;
    }

    private static List<Entry> entries(Path file, Map<String, Object> header, long dataSize, TensorFileLimits limits)
            throws TensorFileException {
        metadata(file, header);
        int count = header.size() - (header.containsKey(METADATA) ? 1 : 0);
        if (count > limits.maxEntries()) {
            throw new TensorFileException(file, null, "declares " + count + " tensors, more than the limit of " + limits.maxEntries());
        }
        List<Entry> entries = new ArrayList<>();
        BigInteger total = BigInteger.ZERO;
        for (Map.Entry<String, Object> member : header.entrySet()) {
            String name = member.getKey();
            if (name.equals(METADATA)) {
                continue;
            }
            if (!(member.getValue() instanceof Map<?, ?> info)) {
                throw new TensorFileException(file, name, "is not an object with dtype, shape and data_offsets");
            }
            DType dtype = dtype(file, name, info.get("dtype"));
            long[] shape = longs(file, name, "shape", info.get("shape"), -1);
            long[] offsets = longs(file, name, "data_offsets", info.get("data_offsets"), 2);
            BigInteger bytes = BigInteger.valueOf(dtype.byteSize());
            for (long d : shape) {
                bytes = bytes.multiply(BigInteger.valueOf(d));
            }
            if (offsets[1] < offsets[0]) {
                throw new TensorFileException(file, name, "data_offsets " + offsets[0] + ".." + offsets[1] + " end before they begin");
            }
            if (!bytes.equals(BigInteger.valueOf(offsets[1] - offsets[0]))) {
                throw new TensorFileException(file, name, "a " + dtype + " tensor of shape " + java.util.Arrays.toString(shape)
                        + " needs " + bytes + " bytes, data_offsets give " + (offsets[1] - offsets[0]));
            }
            if (bytes.compareTo(BigInteger.valueOf(limits.maxTensorBytes())) > 0) {
                throw new TensorFileException(file, name, "declares " + bytes + " bytes, more than the limit of "
                        + limits.maxTensorBytes() + " for one tensor");
            }
            if (offsets[1] > dataSize) {
                throw new TensorFileException(file, name, "data_offsets " + offsets[0] + ".." + offsets[1]
                        + " reach past the end of the data (" + dataSize + " bytes; truncated?)");
            }
            total = total.add(bytes);
            if (total.compareTo(BigInteger.valueOf(limits.maxTotalBytes())) > 0) {
                throw new TensorFileException(file, name, "brings the declared total to " + total + " bytes, more than the limit of "
                        + limits.maxTotalBytes());
            }
            entries.add(new Entry(name, TensorType.of(dtype, shape), offsets[0], offsets[1]));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry previous = byOffset.get(i - 1);
            Entry entry = byOffset.get(i);
            if (entry.begin() < previous.end()) {
                throw new TensorFileException(file, entry.name(), "overlaps the data of '" + previous.name() + "'");
            }
        }
        return entries;
    }

    private static DType dtype(Path file, String name, Object value) throws TensorFileException {
        if (!(value instanceof String text)) {
            throw new TensorFileException(file, name, "has no dtype string");
        }
        for (DType dtype : DType.values()) {
            if (dtype.name().equals(text)) {
                return dtype;
            }
        }
        throw new TensorFileException(file, name, "has dtype " + text + ", which TorchTPU does not support (it reads F64, F32, "
                + "F16, BF16, I64, I32, I16, I8, U8 and BOOL)");
    }

    private static long[] longs(Path file, String name, String field, Object value, int length) throws TensorFileException {
        if (!(value instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw new TensorFileException(file, name, field + " is not " + (length >= 0 ? "a list of " + length : "a list of")
                    + " non-negative integers: " + value);
        }
        if (list.size() > 64) {
            throw new TensorFileException(file, name, field + " has " + list.size() + " dimensions; at most 64");
        }
        long[] result = new long[list.size()];
        for (int i = 0; i < result.length; i++) {
            if (!(list.get(i) instanceof BigInteger number) || number.signum() < 0 || number.bitLength() > 62) {
                throw new TensorFileException(file, name, field + " is not a list of non-negative integers: " + value);
            }
            result[i] = number.longValue();
        }
        return result;
    }

    public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes the tensors in the map's order, with the given {@code __metadata__}; replaces the file when all is written. */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) throws IOException {
        StringBuilder header = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            header.append(Json.quote(METADATA)).append(":{");
            String separator = "";
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                header.append(separator).append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                separator = ",";
            }
            header.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.isEmpty() || name.equals(METADATA)) {
                throw new TensorFileException(file, name, "is not a name a tensor may have in safetensors");
            }
            TensorType type = e.getValue().type();
            if (header.length() > 1) {
                header.append(',');
            }
            header.append(Json.quote(name)).append(":{\"dtype\":\"").append(type.dtype().name()).append("\",\"shape\":[");
            long[] shape = type.shape();
            for (int i = 0; i < shape.length; i++) {
                header.append(i == 0 ? "" : ",").append(shape[i]);
            }
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + type.byteSize()).append("]}");
            offset += type.byteSize();
        }
        header.append('}');
        // pad with spaces so that the data begins 8-byte aligned, as the reference writer does
        while ((header.toString().getBytes(StandardCharsets.UTF_8).length) % 8 != 0) {
            header.append(' ');
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, channel -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerBytes.length);
            writeFully(channel, length);
            writeFully(channel, ByteBuffer.wrap(headerBytes));
            for (HostTensor tensor : tensors.values()) {
                writeFully(channel, tensor.data());
            }
        });
    }

    static void readFully(FileChannel channel, ByteBuffer target, long position, Path file, String entry) throws IOException {
        long at = position;
        while (target.hasRemaining()) {
            int read = channel.read(target, at);
            if (read < 0) {
                throw new TensorFileException(file, entry, "ends early at byte " + at + " (truncated?)");
            }
            at += read;
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer source) throws IOException {
        while (source.hasRemaining()) {
            channel.write(source);
        }
    }
}
