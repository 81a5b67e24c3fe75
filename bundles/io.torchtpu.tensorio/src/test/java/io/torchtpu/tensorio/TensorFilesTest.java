package io.torchtpu.tensorio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorFilesTest {
    @TempDir
    Path dir;

    // ---- round trips ----

    @Test
    void safetensorsRoundTripsEveryDtypeWithMetadataAndOrder() throws IOException {
        Map<String, HostTensor> tensors = sampleOfEveryDtype(true);
        Path file = dir.resolve("all.safetensors");
        Safetensors.write(file, tensors, Map.of("format", "pt"));
        Map<String, HostTensor> back = Safetensors.read(file);
        assertSame(tensors, back);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()), "header order is kept");
        assertEquals(Map.of("format", "pt"), Safetensors.readMetadata(file));
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "data begins 8-byte aligned");
        assertFalse(Files.exists(dir.resolve(".all.safetensors.partial")));
    }

    @Test
    void npzRoundTripsEveryNumpyDtype() throws IOException {
        Map<String, HostTensor> tensors = sampleOfEveryDtype(false);
        Path file = dir.resolve("all.npz");
        TensorFiles.write(file, tensors);
        Map<String, HostTensor> back = TensorFiles.read(file);
        assertSame(tensors, back);
    }

    @Test
    void npyRoundTripsOneTensorAndItsHeaderIsAligned() throws IOException {
        HostTensor tensor = HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Path file = dir.resolve("one.npy");
        Npy.write(file, tensor);
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(0, (bytes.length - 24) % 64, "data begins 64-byte aligned");
        assertArrayEquals(tensor.toFloatArray(), Npy.read(file).toFloatArray());
        assertEquals(Map.of("one", Npy.read(file)).keySet(), TensorFiles.read(file).keySet());
    }

    @Test
    void bfloat16CannotGoToNpzAndNothingIsWritten() {
        Path file = dir.resolve("bf16.npz");
        TensorFileException e = assertThrows(TensorFileException.class,
                () -> Npz.write(file, Map.of("w", HostTensor.allocate(TensorType.of(DType.BF16, 2)))));
        assertTrue(e.getMessage().contains("bf16.npz") && e.getMessage().contains("'w'") && e.getMessage().contains("bfloat16"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    // ---- files other writers wrote ----

    @Test
    void readsSafetensorsThatPythonWrote() throws IOException {
        Map<String, HostTensor> tensors = Safetensors.read(resource("all_dtypes.safetensors"));
        assertEquals(12, tensors.size());
        assertEquals(TensorType.of(DType.F64, 2, 3), tensors.get("f64").type());
        assertArrayEquals(new double[] {1.5, -2.25, 3.0, 0.0, 1e-300, -7.0}, doubles(tensors.get("f64")));
        assertArrayEquals(new float[] {0.5f, -1f, 2f, 3.25f}, tensors.get("f32").toFloatArray());
        assertArrayEquals(new short[] {0x3C00, (short) 0xB800, 0x7BFF}, shorts(tensors.get("f16")));
        assertArrayEquals(new short[] {0x3F80, (short) 0xC000, 0x7F62}, shorts(tensors.get("bf16")));
        assertArrayEquals(new long[] {-(1L << 62), 5, 1L << 40}, longs(tensors.get("i64")));
        assertEquals(TensorType.of(DType.I32, 2, 1), tensors.get("i32").type());
        assertEquals(1 << 30, tensors.get("i32").data().getInt(4));
        assertArrayEquals(new short[] {-300, 300}, shorts(tensors.get("i16")));
        assertArrayEquals(new byte[] {-128, 127}, bytes(tensors.get("i8")));
        assertArrayEquals(new byte[] {0, (byte) 255, 7}, bytes(tensors.get("u8")));
        assertArrayEquals(new byte[] {1, 0, 1}, bytes(tensors.get("bool")));
        assertEquals(TensorType.of(DType.F32), tensors.get("scalar").type());
        assertEquals(42f, tensors.get("scalar").data().getFloat(0));
        assertEquals(TensorType.of(DType.F32, 0, 3), tensors.get("empty").type());
        assertEquals("safetensors", Safetensors.readMetadata(resource("all_dtypes.safetensors")).get("written_by"));
    }

    @Test
    void readsNpzThatNumpyWroteStoredAndDeflated() throws IOException {
        for (String name : List.of("numpy_savez.npz", "numpy_savez_compressed.npz")) {
            Map<String, HostTensor> tensors = Npz.read(resource(name));
            assertEquals(List.of("f64", "f32", "f16", "i64", "i32", "i16", "i8", "u8", "bool", "scalar"), List.copyOf(tensors.keySet()), name);
            assertArrayEquals(new double[] {1.5, -2.25, 3.0, 0.0, 1e-300, -7.0}, doubles(tensors.get("f64")), name);
            assertArrayEquals(new float[] {0.5f, -1f, 2f, 3.25f}, tensors.get("f32").toFloatArray(), name);
            assertArrayEquals(new short[] {0x3C00, (short) 0xB800, 0x7BFF}, shorts(tensors.get("f16")), name);
            assertArrayEquals(new long[] {-(1L << 62), 5, 1L << 40}, longs(tensors.get("i64")), name);
            assertArrayEquals(new byte[] {1, 0, 1}, bytes(tensors.get("bool")), name);
            assertEquals(TensorType.of(DType.BOOL, 3), tensors.get("bool").type(), name);
            assertEquals(TensorType.of(DType.F32), tensors.get("scalar").type(), name);
        }
    }

    @Test
    void readsBigEndianAndVersion2And3Npy() throws IOException {
        assertArrayEquals(new float[] {1, 2, 3}, Npy.read(resource("big_endian.npy")).toFloatArray());
        HostTensor v2 = Npy.read(resource("version2.npy"));
        assertEquals(TensorType.of(DType.I32, 4), v2.type());
        assertEquals(3, v2.data().getInt(12));
        HostTensor v3 = Npy.read(resource("version3.npy"));
        assertArrayEquals(new short[] {0, 1, 2}, shorts(v3));
    }

    // ---- bad input ----

    @Test
    void refusesFortranOrderAndObjectArraysNamingTheFile() {
        TensorFileException fortran = assertThrows(TensorFileException.class, () -> Npy.read(resource("fortran_order.npy")));
        assertTrue(fortran.getMessage().contains("fortran_order.npy") && fortran.getMessage().contains("Fortran"), fortran.getMessage());
        TensorFileException object = assertThrows(TensorFileException.class, () -> Npy.read(resource("object_array.npy")));
        assertTrue(object.getMessage().contains("object_array.npy") && object.getMessage().contains("never unpickles"), object.getMessage());
    }

    @Test
    void refusesZipSlipEntries() {
        TensorFileException e = assertThrows(TensorFileException.class, () -> Npz.read(resource("zip_slip.npz")));
        assertTrue(e.getMessage().contains("zip_slip.npz") && e.getMessage().contains("'../../evil.npy'")
                && e.getMessage().contains("escapes"), e.getMessage());
        assertEquals("../../evil.npy", e.entry().orElseThrow());
        assertThrows(TensorFileException.class, () -> Npz.write(dir.resolve("out.npz"), Map.of("../x", HostTensor.ofFloats(new float[1], 1))));
        assertFalse(Files.exists(dir.resolve("out.npz")));
    }

    @Test
    void refusesANonZipAndATruncatedNpz() throws IOException {
        Path notZip = write("not-a-zip.npz", "hello, I am text".getBytes(StandardCharsets.UTF_8));
        assertMessage(() -> Npz.read(notZip), "not-a-zip.npz", "not a .npz");
        byte[] whole = Files.readAllBytes(resource("numpy_savez.npz"));
        Path truncated = write("truncated.npz", java.util.Arrays.copyOf(whole, whole.length / 2));
        assertMessage(() -> Npz.read(truncated), "truncated.npz", "");
    }

    @Test
    void refusesAnNpyEntryThatDeclaresMoreDataThanItHolds() throws IOException {
        byte[] header = Npy.header(null, null, TensorType.of(DType.F32, 1000, 1000));
        Path file = zip("short.npz", Map.of("w.npy", concat(header, new byte[16])));
        assertMessage(() -> Npz.read(file), "short.npz", "'w.npy'", "declares 4000000 bytes", "holds only 16");
        Path other = zip("readme.npz", Map.of("README.txt", "hi".getBytes(StandardCharsets.UTF_8)));
        assertMessage(() -> Npz.read(other), "readme.npz", "'README.txt'", "not a .npy");
    }

    @Test
    void npzLimitsAreCheckedBeforeAllocating() throws IOException {
        Path file = dir.resolve("three.npz");
        Npz.write(file, Map.of("a", HostTensor.ofFloats(new float[4], 4), "b", HostTensor.ofFloats(new float[4], 4),
                "c", HostTensor.ofFloats(new float[4], 4)));
        assertMessage(() -> Npz.read(file, new TensorFileLimits(1000, 2, 1000, 1000)), "three.npz", "3 entries");
        assertMessage(() -> Npz.read(file, new TensorFileLimits(1000, 10, 1000, 40)), "three.npz", "declares 16 bytes");
    }

    @Test
    void refusesASafetensorsHeaderLongerThanTheFileOrTheLimit() throws IOException {
        ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        Path hostile = write("huge-header.safetensors", huge.array());
        assertMessage(() -> Safetensors.read(hostile), "huge-header.safetensors", "header of " + Long.MAX_VALUE);
        ByteBuffer longer = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        Path truncated = write("short-header.safetensors", longer.array());
        assertMessage(() -> Safetensors.read(truncated), "short-header.safetensors", "truncated");
        Path tiny = write("tiny.safetensors", new byte[] {1, 2, 3});
        assertMessage(() -> Safetensors.read(tiny), "tiny.safetensors", "shorter than the 8-byte header length");
    }

    @Test
    void refusesAHugeDeclaredTensorBeforeAllocatingIt() throws IOException {
        Path file = safetensors("huge.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4000000000000]}}", 16);
        assertMessage(() -> Safetensors.read(file), "huge.safetensors", "'w'", "4000000000000 bytes", "limit");
        Path past = safetensors("past-end.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", 16);
        assertMessage(() -> Safetensors.read(past), "past-end.safetensors", "'w'", "past the end");
        Path mismatch = safetensors("mismatch.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 16);
        assertMessage(() -> Safetensors.read(mismatch), "mismatch.safetensors", "'w'", "needs 12 bytes");
        Path overflow = safetensors("overflow.safetensors",
                "{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387903,4611686018427387903],\"data_offsets\":[0,8]}}", 16);
        assertMessage(() -> Safetensors.read(overflow), "overflow.safetensors", "'w'", "needs");
    }

    @Test
    void refusesOverlapsUnknownDtypesBadJsonAndTooManyTensors() throws IOException {
        Path overlap = safetensors("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16);
        assertMessage(() -> Safetensors.read(overlap), "overlap.safetensors", "'b'", "overlaps the data of 'a'");
        Path unknown = safetensors("u16.safetensors", "{\"a\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
        assertMessage(() -> Safetensors.read(unknown), "u16.safetensors", "'a'", "U16");
        Path badJson = safetensors("bad-json.safetensors", "{\"a\":{\"dtype\":\"F32\",", 0);
        assertMessage(() -> Safetensors.read(badJson), "bad-json.safetensors", "not valid JSON");
        Path negative = safetensors("negative.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
        assertMessage(() -> Safetensors.read(negative), "negative.safetensors", "'a'", "non-negative");
        Path many = safetensors("many.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2);
        assertMessage(() -> Safetensors.read(many, new TensorFileLimits(1000, 1, 100, 100)), "many.safetensors", "2 tensors");
        assertEquals(2, Safetensors.read(many).size());
    }

    @Test
    void refusesATruncatedSafetensorsFile() throws IOException {
        byte[] whole = Files.readAllBytes(resource("all_dtypes.safetensors"));
        Path file = write("cut.safetensors", java.util.Arrays.copyOf(whole, whole.length - 10));
        assertMessage(() -> Safetensors.read(file), "cut.safetensors", "past the end");
    }

    @Test
    void refusesMalformedNpyHeaders() throws IOException {
        assertMessage(() -> Npy.read(write("magic.npy", "NOTNUMPY........".getBytes(StandardCharsets.ISO_8859_1))), "magic.npy", "magic");
        byte[] v9 = Files.readAllBytes(resource("version2.npy"));
        v9[6] = 9;
        assertMessage(() -> Npy.read(write("v9.npy", v9)), "v9.npy", "version 9.0");
        assertMessage(() -> Npy.read(write("u4.npy", npy("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", 4))),
                "u4.npy", "'<u4'");
        assertMessage(() -> Npy.read(write("noshape.npy", npy("{'descr': '<f4', 'fortran_order': False, }", 4))),
                "noshape.npy", "lacks");
        assertMessage(() -> Npy.read(write("call.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': __import__('os'), }", 4))),
                "call.npy", "not a dict literal");
        assertMessage(() -> Npy.read(write("struct.npy", npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 4))),
                "struct.npy", "structured");
    }

    // ---- helpers ----

    private static Map<String, HostTensor> sampleOfEveryDtype(boolean withBf16) {
        SplittableRandom random = new SplittableRandom(7);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (DType dtype : DType.values()) {
            if (dtype == DType.BF16 && !withBf16) {
                continue;
            }
            HostTensor tensor = HostTensor.allocate(TensorType.of(dtype, 2, 3));
            ByteBuffer data = tensor.data();
            while (data.hasRemaining()) {
                data.put(dtype == DType.BOOL ? (byte) random.nextInt(2) : (byte) random.nextInt(256));
            }
            tensors.put("t_" + dtype.name().toLowerCase(), tensor);
        }
        tensors.put("scalar", HostTensor.ofFloats(new float[] {3.5f}));
        tensors.put("empty", HostTensor.allocate(TensorType.of(DType.I64, 0, 4)));
        return tensors;
    }

    private static void assertSame(Map<String, HostTensor> expected, Map<String, HostTensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, tensor) -> {
            assertEquals(tensor.type(), actual.get(name).type(), name);
            assertEquals(tensor.data(), actual.get(name).data(), name);
        });
    }

    private interface Reading {
        void run() throws IOException;
    }

    private static void assertMessage(Reading reading, String... parts) {
        TensorFileException e = assertThrows(TensorFileException.class, reading::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
    }

    private Path resource(String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream(name)) {
            Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private Path safetensors(String name, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer file = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        return write(name, file.array());
    }

    private static byte[] npy(String dict, int dataBytes) {
        byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length).put(text);
        return out.array();
    }

    private Path zip(String name, Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return write(name, bytes.toByteArray());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static double[] doubles(HostTensor t) {
        double[] values = new double[(int) t.type().elementCount()];
        t.data().asDoubleBuffer().get(values);
        return values;
    }

    private static long[] longs(HostTensor t) {
        long[] values = new long[(int) t.type().elementCount()];
        t.data().asLongBuffer().get(values);
        return values;
    }

    private static short[] shorts(HostTensor t) {
        short[] values = new short[(int) t.type().elementCount()];
        t.data().asShortBuffer().get(values);
        return values;
    }

    private static byte[] bytes(HostTensor t) {
        byte[] values = new byte[(int) t.type().elementCount()];
        t.data().get(values);
        return values;
    }

    @SuppressWarnings("unused")
    private static List<String> names(Map<String, ?> map) {
        return new ArrayList<>(map.keySet());
    }
}
