package io.torchtpu.tracer.export;

import io.torchtpu.api.TraceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A {@code .pt2} zip archive as PyTorch's archive writer lays it out: every entry under one root folder
 * (the file's stem), {@code archive_format} holding {@code pt2}. Entries are read whole, bounded by the
 * limits, and checked against their CRC-32 (PyTorch stores entries uncompressed, where the zip reader itself
 * checks nothing). Nothing is ever extracted to disk.
 */
final class Pt2Archive implements AutoCloseable {
    static final String FORMAT_ENTRY = "archive_format";
    static final String VERSION_ENTRY = "archive_version";
    static final String BYTEORDER_ENTRY = "byteorder";
    /** The archive versions this reader knows ({@code ARCHIVE_VERSION_VALUE} of PyTorch 2.10). */
    static final String KNOWN_ARCHIVE_VERSION = "0";
    private static final long MAX_DEFLATE_RATIO = 1032;

    private final Path file;
    private final ZipFile zip;
    private final String root;
    private final ArchiveLimits limits;

    private Pt2Archive(Path file, ZipFile zip, String root, ArchiveLimits limits) {
        this.file = file;
        this.zip = zip;
        this.root = root;
        this.limits = limits;
    }

    /**
     * Opens the archive and checks its table of contents: entry count, paths that escape the root, the
     * format marker, the archive version and the byte order.
     */
    static Pt2Archive open(Path file, ArchiveLimits limits) {
        if (!Files.isRegularFile(file)) {
            throw new TraceException(file + ": no such file");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new TraceException(file + ": not a zip archive, or truncated or corrupted (its central directory, "
                    + "the table of entries at the end of the file, cannot be read: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new TraceException(file + ": cannot be read: " + e.getMessage(), e);
        }
        try {
            Pt2Archive archive = new Pt2Archive(file, zip, findRoot(file, zip, limits), limits);
            archive.checkMarkers();
            return archive;
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    /** The JDK decodes entry names lazily and throws IllegalArgumentException for bytes that are no valid name. */
    private static boolean hasMore(Path file, Enumeration<? extends ZipEntry> entries) {
        try {
            return entries.hasMoreElements();
        } catch (IllegalArgumentException e) {
            throw new TraceException(file + ": the archive's directory holds an entry name that is not valid UTF-8 (" + e.getMessage() + ")", e);
        }
    }

    private static String findRoot(Path file, ZipFile zip, ArchiveLimits limits) {
        if (zip.size() > limits.maxEntries()) {
            throw new TraceException(file + ": the archive holds " + zip.size() + " entries, more than the limit of "
                    + limits.maxEntries());
        }
        String root = null;
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (hasMore(file, entries)) {
            String name = entries.nextElement().getName();
            String escape = escapeReason(name);
            if (escape != null) {
                throw new TraceException(file + ": entry " + name + " " + escape + "; refusing the archive");
            }
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals(FORMAT_ENTRY)) {
                root = name.substring(0, slash + 1);
            }
        }
        if (root == null) {
            boolean torchScript = zip.stream().anyMatch(e -> e.getName().endsWith("/data.pkl") || e.getName().endsWith("/code/"));
            throw new TraceException(file + ": entry */" + FORMAT_ENTRY + " is missing: not a torch.export archive"
                    + (torchScript ? " (it looks like a TorchScript archive; use the torchscript tracer)" : ""));
        }
        return root;
    }

    /** Why a zip entry name would leave the archive's root if it were extracted, or null when it stays inside. */
    static String escapeReason(String name) {
        if (name.startsWith("/") || name.startsWith("\\")) {
            return "has an absolute path";
        }
        if (name.length() > 1 && name.charAt(1) == ':') {
            return "has a drive letter";
        }
        if (name.indexOf('\0') >= 0) {
            return "has a NUL character in its name";
        }
        for (String segment : name.split("[/\\\\]")) {
            if (segment.equals("..")) {
                return "has a path that escapes the archive root (..)";
            }
        }
        return null;
    }

    private void checkMarkers() {
        String format = readText(FORMAT_ENTRY, 64).strip();
        if (!format.equals("pt2")) {
            throw error(FORMAT_ENTRY, "says \"" + abbreviate(format) + "\", a torch.export archive says \"pt2\"");
        }
        if (exists(VERSION_ENTRY)) {
            String version = readText(VERSION_ENTRY, 64).strip();
            if (!version.equals(KNOWN_ARCHIVE_VERSION)) {
                throw error(VERSION_ENTRY, "archive version " + abbreviate(version) + " is not supported: this reader knows version "
                        + KNOWN_ARCHIVE_VERSION + " (PyTorch 2.10)");
            }
        }
        if (exists(BYTEORDER_ENTRY)) {
            String order = readText(BYTEORDER_ENTRY, 64).strip();
            if (!order.equals("little")) {
                throw error(BYTEORDER_ENTRY, "the weights are stored " + abbreviate(order) + "-endian; only little-endian archives are supported");
            }
        }
    }

    Path file() {
        return file;
    }

    /** The full entry name of a path relative to the root ({@code models/model.json} -> {@code model/models/model.json}). */
    String entryName(String relative) {
        return root + relative;
    }

    boolean exists(String relative) {
        return zip.getEntry(entryName(relative)) != null;
    }

    /** The names, relative to the root, of the entries directly in a folder such as {@code models/}. */
    List<String> list(String folder) {
        String prefix = entryName(folder);
        List<String> names = new ArrayList<>();
        zip.stream().map(ZipEntry::getName)
                .filter(n -> n.startsWith(prefix) && n.length() > prefix.length() && n.indexOf('/', prefix.length()) < 0)
                .forEach(n -> names.add(n.substring(root.length())));
        return names;
    }

    /** The uncompressed size the archive declares for an entry, -1 if unknown. */
    long declaredSize(String relative) {
        return requireEntry(relative).getSize();
    }

    String readText(String relative, long maxBytes) {
        return new String(read(relative, maxBytes), StandardCharsets.UTF_8);
    }

    /** Parses a JSON entry within the JSON limits. */
    Object readJson(String relative) {
        byte[] bytes = read(relative, limits.maxJsonBytes());
        try {
            return Json.parse(bytes, limits.maxJsonDepth(), "not valid JSON");
        } catch (Json.JsonException e) {
            throw errorAt(relative, e.getMessage());
        }
    }

    private long fileSize() {
        try {
            return java.nio.file.Files.size(file);
        } catch (IOException e) {
            throw error(null, "cannot be read: " + e.getMessage());
        }
    }

    /** Reads an entry whole, refusing it before allocating when it declares more than {@code maxBytes}. */
    byte[] read(String relative, long maxBytes) {
        ZipEntry entry = requireEntry(relative);
        long size = entry.getSize();
        if (size > maxBytes) {
            throw error(relative, "declares " + size + " bytes, more than the limit of " + maxBytes);
        }
        if (size < 0) {
            throw error(relative, "does not declare its size");
        }
        // the declared size is what gets allocated: it must be one the stored bytes can yield (DEFLATE expands 1032:1 at most)
        long stored = entry.getCompressedSize();
        long possible = entry.getMethod() == ZipEntry.STORED ? stored : stored * MAX_DEFLATE_RATIO + 1024;
        // the directory's stored size is itself a claim: no entry stores more bytes than the whole file has
        if (stored > fileSize()) {
            throw error(relative, "declares " + stored + " stored bytes in a file of " + fileSize() + " (a corrupted or hostile archive)");
        }
        if (stored < 0 || size > possible) {
            throw error(relative, "declares " + size + " bytes from " + stored + " stored bytes, more than they can hold "
                    + "(a corrupted or hostile archive)");
        }
        byte[] data = new byte[(int) size];
        CRC32 crc = new CRC32();
        try (InputStream in = zip.getInputStream(entry)) {
            int filled = 0;
            while (filled < data.length) {
                int n = in.read(data, filled, data.length - filled);
                if (n < 0) {
                    throw error(relative, "is truncated: " + filled + " of its " + size + " bytes are there");
                }
                filled += n;
            }
            if (in.read() >= 0) {
                throw error(relative, "is corrupted: it holds more than the " + size + " bytes it declares");
            }
        } catch (ZipException e) {
            throw error(relative, "is corrupted: " + e.getMessage());
        } catch (IOException e) {
            throw error(relative, "cannot be read (the archive may be truncated): " + e.getMessage());
        }
        crc.update(data);
        if (entry.getCrc() != -1 && crc.getValue() != entry.getCrc()) {
            throw error(relative, String.format("is corrupted: its CRC-32 is %08x, the archive declares %08x", crc.getValue(),
                    entry.getCrc()));
        }
        return data;
    }

    private ZipEntry requireEntry(String relative) {
        ZipEntry entry = zip.getEntry(entryName(relative));
        if (entry == null) {
            throw error(relative, "is missing");
        }
        return entry;
    }

    /** An error about one entry: {@code FILE: entry ROOT/RELATIVE MESSAGE}. */
    TraceException error(String relative, String message) {
        return new TraceException(file + ": entry " + entryName(relative) + " " + message);
    }

    /** An error about something an entry's document says: {@code FILE: entry ROOT/RELATIVE: DETAIL}. */
    TraceException errorAt(String relative, String detail) {
        return new TraceException(file + ": entry " + entryName(relative) + ": " + detail);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException e) {
            // nothing was written; a failed close of a read-only zip loses nothing
        }
    }
}
