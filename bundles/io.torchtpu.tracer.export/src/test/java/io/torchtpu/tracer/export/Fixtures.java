package io.torchtpu.tracer.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** The shared fixture models, the module's own test archives, and rewriting archives into broken ones. */
final class Fixtures {
    static final String[] MODELS = {"mlp", "resnet18", "mobilenet_v2", "bert", "gpt2"};

    private Fixtures() {
    }

    static Path root() {
        String root = System.getProperty("torchtpu.root");
        return root != null ? Path.of(root) : Path.of("../..").toAbsolutePath().normalize();
    }

    static Path model(String name) {
        return root().resolve("bnd-workspace/src/test/resources/models").resolve(name);
    }

    static Path archive(String name) {
        return root().resolve("bundles/io.torchtpu.tracer.export/src/test/resources/archives").resolve(name);
    }

    static JsonObject modelInfo(String name) throws IOException {
        return (JsonObject) Json.parse(Files.readAllBytes(model(name).resolve("model.json")), 64, name + "/model.json");
    }

    /** Every entry of a zip, in order, as bytes. */
    static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> all = file.entries();
            while (all.hasMoreElements()) {
                ZipEntry entry = all.nextElement();
                try (InputStream in = file.getInputStream(entry)) {
                    entries.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        return entries;
    }

    static Path write(Path target, Map<String, byte[]> entries) throws IOException {
        try (OutputStream out = Files.newOutputStream(target); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return target;
    }

    /** A copy of {@code source} with one entry's text rewritten (the rewrite must change it). */
    static Path rewriteText(Path source, Path target, String entry, UnaryOperator<String> rewrite) throws IOException {
        Map<String, byte[]> entries = entries(source);
        String before = new String(entries.get(entry), java.nio.charset.StandardCharsets.UTF_8);
        String after = rewrite.apply(before);
        if (after.equals(before)) {
            throw new IllegalStateException("the rewrite of " + entry + " changed nothing");
        }
        entries.put(entry, after.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return write(target, entries);
    }
}
