package io.torchtpu.tracer.export;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken archives, each made from the good MLP fixture, refused with a message naming the file and the entry. */
class BadArchiveTest {
    private static final Path GOOD = Fixtures.model("mlp").resolve("model.pt2");
    private static final String PROGRAM = "model/models/model.json";
    private static final String WEIGHTS_CONFIG = "model/data/weights/model_weights_config.json";

    @TempDir
    Path temp;

    private final ExportTracer tracer = new ExportTracer();

    private String refusal(ExportTracer reader, Path archive, String... expectedParts) {
        TraceException e = assertThrows(TraceException.class, () -> reader.trace(archive, TraceOptions.defaults()));
        String message = e.getMessage();
        assertTrue(message.startsWith(archive.toString() + ": "), "names the file: " + message);
        for (String part : expectedParts) {
            assertTrue(message.contains(part), "should contain \"" + part + "\": " + message);
        }
        return message;
    }

    private String refusal(Path archive, String... expectedParts) {
        return refusal(tracer, archive, expectedParts);
    }

    @Test
    void theGoodArchiveReads() {
        tracer.trace(GOOD, TraceOptions.defaults());
    }

    @Test
    void aTruncatedArchive() throws IOException {
        byte[] bytes = Files.readAllBytes(GOOD);
        Path cut = Files.write(temp.resolve("cut.pt2"), Arrays.copyOf(bytes, bytes.length / 2));
        refusal(cut, "truncated", "central directory");
    }

    @Test
    void aCorruptedWeight() throws IOException {
        byte[] bytes = Files.readAllBytes(GOOD);
        // the first local entry is model/data/weights/weight_0, stored: its data follows the 30-byte header, name and extra field
        ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        String name = new String(bytes, 30, header.getShort(26), StandardCharsets.UTF_8);
        assertTrue(name.equals("model/data/weights/weight_0"), name);
        int data = 30 + header.getShort(26) + header.getShort(28);
        bytes[data + 100] ^= 0x5A;
        Path corrupted = Files.write(temp.resolve("corrupted.pt2"), bytes);
        refusal(corrupted, "entry model/data/weights/weight_0 ", "corrupted", "CRC-32");
    }

    @Test
    void anEntryEscapingTheRoot() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(GOOD);
        entries.put("model/../../evil.sh", "echo owned".getBytes(StandardCharsets.UTF_8));
        Path slip = Fixtures.write(temp.resolve("slip.pt2"), entries);
        refusal(slip, "entry model/../../evil.sh ", "escapes the archive root");
        entries.remove("model/../../evil.sh");
        entries.put("/etc/passwd", new byte[1]);
        refusal(Fixtures.write(temp.resolve("absolute.pt2"), entries), "entry /etc/passwd ", "absolute path");
    }

    @Test
    void anUnknownMajorSchemaVersion() throws IOException {
        Path future = Fixtures.rewriteText(GOOD, temp.resolve("future.pt2"), PROGRAM,
                text -> text.replace("\"schema_version\": {\"major\": 8", "\"schema_version\": {\"major\": 9"));
        refusal(future, "entry " + PROGRAM + ": ", "9.15", "major version 8");
    }

    @Test
    void aNewerMinorSchemaVersionIsRead() throws IOException {
        Path newer = Fixtures.rewriteText(GOOD, temp.resolve("newer.pt2"), PROGRAM,
                text -> text.replace("\"minor\": 15", "\"minor\": 99"));
        tracer.trace(newer, TraceOptions.defaults());
    }

    @Test
    void aHugeDeclaredTensor() throws IOException {
        Path huge = Fixtures.rewriteText(GOOD, temp.resolve("huge.pt2"), WEIGHTS_CONFIG,
                text -> text.replaceFirst("\\{\"as_int\": 64\\}, \\{\"as_int\": 32\\}", "{\"as_int\": 1099511627776}, {\"as_int\": 32}"));
        refusal(huge, "entry " + WEIGHTS_CONFIG + ": ", "fc1.weight", "tensor<1099511627776x32xf32>", "limit");
    }

    @Test
    void weightsBeyondTheTotalLimit() {
        ExportTracer small = new ExportTracer(new ArchiveLimits(100, 1 << 20, 1 << 20, 64, 20_000));
        refusal(small, GOOD, "entry " + WEIGHTS_CONFIG + ": ", "fc2.weight", "20000 bytes");
    }

    @Test
    void aMissingWeight() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(GOOD);
        entries.remove("model/data/weights/weight_0");
        refusal(Fixtures.write(temp.resolve("missing.pt2"), entries), "entry model/data/weights/weight_0 ", "is missing", "fc1.weight");
    }

    @Test
    void aWeightStorageTooSmallForItsTensor() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(GOOD);
        entries.put("model/data/weights/weight_0", new byte[100]);
        refusal(Fixtures.write(temp.resolve("short.pt2"), entries), "entry model/data/weights/weight_0 ", "holds 100 bytes", "fc1.weight");
    }

    @Test
    void aPickledWeight() throws IOException {
        Path pickled = Fixtures.rewriteText(GOOD, temp.resolve("pickled.pt2"), WEIGHTS_CONFIG,
                text -> text.replaceFirst("\"use_pickle\": false", "\"use_pickle\": true"));
        refusal(pickled, "entry " + WEIGHTS_CONFIG + ": ", "fc1.weight", "pickled", "never unpickles");
    }

    @Test
    void aWeightPathLeavingItsFolder() throws IOException {
        Path escaping = Fixtures.rewriteText(GOOD, temp.resolve("escaping.pt2"), WEIGHTS_CONFIG,
                text -> text.replaceFirst("\"path_name\": \"weight_0\"", "\"path_name\": \"../models/model.json\""));
        refusal(escaping, "entry " + WEIGHTS_CONFIG + ": ", "not a plain file name");
    }

    @Test
    void aDynamicDimension() throws IOException {
        Path dynamic = Fixtures.rewriteText(GOOD, temp.resolve("dynamic.pt2"), PROGRAM, text -> text.replace(
                "\"x\": {\"dtype\": 7, \"sizes\": [{\"as_int\": 4}",
                "\"x\": {\"dtype\": 7, \"sizes\": [{\"as_expr\": {\"expr_str\": \"s0\", \"hint\": {\"as_int\": 4}}}"));
        refusal(dynamic, "entry " + PROGRAM + ": ", "tensor x", "dynamic", "s0");
    }

    @Test
    void malformedJson() throws IOException {
        Path broken = Fixtures.rewriteText(GOOD, temp.resolve("broken.pt2"), PROGRAM, text -> text.substring(0, text.length() / 2));
        refusal(broken, "entry " + PROGRAM + ": ", "not valid JSON", "ends");
    }

    @Test
    void jsonNestedTooDeep() throws IOException {
        Map<String, byte[]> entries = Fixtures.entries(GOOD);
        entries.put(PROGRAM, ("[".repeat(5000) + "]".repeat(5000)).getBytes(StandardCharsets.UTF_8));
        refusal(Fixtures.write(temp.resolve("deep.pt2"), entries), "entry " + PROGRAM + ": ", "nesting deeper than 256");
    }

    @Test
    void tooManyEntries() {
        ExportTracer small = new ExportTracer(new ArchiveLimits(5, 1 << 20, 1 << 20, 64, 1 << 20));
        refusal(small, GOOD, "entries, more than the limit of 5");
    }

    @Test
    void anEntryLargerThanTheLimit() {
        ExportTracer small = new ExportTracer(new ArchiveLimits(100, 1 << 20, 4096, 64, 1 << 20));
        refusal(small, GOOD, "entry " + PROGRAM + " declares 8241 bytes", "more than the limit of 4096");
    }

    @Test
    void anUnknownOpKindIsNamed() throws IOException {
        Path hop = Fixtures.rewriteText(GOOD, temp.resolve("hop.pt2"), PROGRAM,
                text -> text.replaceFirst("torch.ops.aten.relu.default", "torch.ops.higher_order.cond"));
        refusal(hop, "entry " + PROGRAM + ": ", "graph_module.graph.nodes[1]", "higher-order");
    }

    @Test
    void aTorchScriptArchiveIsNotAnExport() {
        refusal(Fixtures.model("mlp").resolve("model.pt"), "archive_format is missing", "TorchScript");
    }

    @Test
    void aWrongFormatMarker() throws IOException {
        Path other = Fixtures.rewriteText(GOOD, temp.resolve("other.pt2"), "model/archive_format", text -> "aoti");
        refusal(other, "entry model/archive_format ", "aoti");
    }
}
