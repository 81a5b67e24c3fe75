package io.torchtpu.tracer.torchscript;

import io.torchtpu.api.TraceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.pytorch.CompilationUnit;
import org.bytedeco.pytorch.Function;
import org.bytedeco.pytorch.Graph;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.global.torch;

/**
 * A TorchScript program loaded by libtorch and prepared for reading: an archive is loaded, put in eval mode
 * and frozen (parameters and attributes become constants, methods are inlined, constants are propagated and
 * conv/batch-norm pairs folded); source is compiled with every call inlined. Holds the libtorch objects that
 * own the graph until closed.
 */
final class LoadedProgram implements AutoCloseable {
    private static final long MAX_SOURCE_BYTES = 16 << 20;

    private final Object owner;
    private final Graph graph;

    private LoadedProgram(Object owner, Graph graph) {
        this.owner = owner;
        this.graph = graph;
    }

    static LoadedProgram load(Path model) {
        byte[] head;
        try (InputStream in = Files.newInputStream(model)) {
            head = in.readNBytes(4);
        } catch (IOException e) {
            throw new TraceException(model + ": cannot be read: " + e.getMessage(), e);
        }
        if (head.length == 4 && head[0] == 'P' && head[1] == 'K') {
            return archive(model);
        }
        return source(model);
    }

    private static LoadedProgram archive(Path model) {
        checkArchive(model);
        JitModule module;
        try {
            module = torch.load(model.toString());
        } catch (RuntimeException e) {
            throw new TraceException(model + ": libtorch cannot load this TorchScript archive: " + firstLine(e), e);
        }
        module.eval();
        JitModule frozen;
        try {
            frozen = torch.freeze(module);
        } catch (RuntimeException e) {
            throw new TraceException(model + ": libtorch cannot freeze the module (torch.jit.freeze): " + firstLine(e), e);
        }
        if (frozen.find_method("forward").has_value()) {
            return new LoadedProgram(new Object[] {module, frozen}, frozen.get_method("forward").graph());
        }
        throw new TraceException(model + ": the TorchScript module has no forward method");
    }

    // Limits checked in Java before libtorch parses anything: a hostile archive is refused here, not in native code.
    static final int MAX_ENTRIES = 100_000;
    static final long MAX_TOTAL_BYTES = 64L << 30;
    // deflate cannot expand data by more than about 1032 to 1
    static final long MAX_DEFLATE_RATIO = 1032;
    // entries read whole to check their CRC: the pickles and the code, never the tensor storages
    static final long MAX_CHECKED_ENTRY_BYTES = 64L << 20;

    /**
     * Java's zip reader checks the archive first, so that a truncated, corrupt, oversized or foreign
     * file gets a plain answer naming the entry, and libtorch only ever sees archives that hold together.
     */
    static void checkArchive(Path model) {
        try (ZipFile zip = new ZipFile(model.toFile())) {
            boolean data = false;
            int count = 0;
            long total = 0;
            long fileSize = Files.size(model);
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                ZipEntry entry = e.nextElement();
                String name = entry.getName();
                if (++count > MAX_ENTRIES) {
                    throw new TraceException(model + ": more than " + MAX_ENTRIES + " entries; refusing the archive");
                }
                if (name.startsWith("/") || name.contains("\\") || name.contains("../") || name.startsWith("..")) {
                    throw new TraceException(model + ": entry '" + name + "' is a path that escapes the archive's root; refusing the archive");
                }
                long size = entry.getSize();
                long stored = entry.getCompressedSize();
                long bound = entry.getMethod() == ZipEntry.STORED ? stored : stored * MAX_DEFLATE_RATIO;
                if (size < 0 || stored < 0 || stored > fileSize || size > bound) {
                    throw new TraceException(model + ": entry '" + name + "' declares " + size + " bytes from " + stored
                            + " stored bytes, which the archive cannot hold; it is corrupt");
                }
                total += size;
                if (total > MAX_TOTAL_BYTES) {
                    throw new TraceException(model + ": the entries declare more than " + MAX_TOTAL_BYTES + " bytes in all; refusing the archive");
                }
                int slash = name.indexOf('/');
                String inner = slash > 0 ? name.substring(slash + 1) : name;
                data |= inner.equals("data.pkl");
                if (!inner.startsWith("data/") && size <= MAX_CHECKED_ENTRY_BYTES) {
                    checkCrc(model, zip, entry);
                }
            }
            if (!data) {
                throw new TraceException(model + ": a zip archive, but not a TorchScript one (no ROOT/data.pkl entry; "
                        + "a torch.export .pt2 is read by the pt2 tracer)");
            }
        } catch (ZipException e) {
            throw new TraceException(model + ": not a TorchScript archive: the zip is truncated or corrupt (" + e.getMessage() + ")", e);
        } catch (IllegalArgumentException e) {
            throw new TraceException(model + ": the archive's directory holds an entry name that is not valid UTF-8 (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new TraceException(model + ": cannot be read: " + e.getMessage(), e);
        }
    }

    /** PyTorch stores entries uncompressed, and Java's reader does not check a stored entry's CRC: this does. */
    private static void checkCrc(Path model, ZipFile zip, ZipEntry entry) throws IOException {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        long read = 0;
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0;) {
                crc.update(buffer, 0, n);
                read += n;
            }
        }
        if (read != entry.getSize() || (entry.getCrc() != -1 && crc.getValue() != entry.getCrc())) {
            throw new TraceException(model + ": entry '" + entry.getName() + "' is corrupt (its bytes do not match its checksum)");
        }
    }

    private static LoadedProgram source(Path model) {
        String text;
        try {
            if (Files.size(model) > MAX_SOURCE_BYTES) {
                throw new TraceException(model + ": " + Files.size(model) + " bytes is too large for TorchScript source");
            }
            byte[] bytes = Files.readAllBytes(model);
            text = new String(bytes, StandardCharsets.UTF_8);
            if (text.indexOf('\0') >= 0) {
                throw new TraceException(model + ": neither a TorchScript archive (zip) nor TorchScript source (text)");
            }
        } catch (IOException e) {
            throw new TraceException(model + ": cannot be read: " + e.getMessage(), e);
        }
        BoolPointer inlineEverything = torch.getInlineEverythingMode();
        boolean before = inlineEverything.get();
        CompilationUnit unit;
        try {
            // calls between the source's functions are inlined as they are compiled, as freezing does for modules
            inlineEverything.put(true);
            unit = torch.compile(text);
        } catch (RuntimeException e) {
            throw new TraceException(model + ": TorchScript source does not compile: " + firstLine(e), e);
        } finally {
            inlineEverything.put(before);
        }
        Function forward = unit.find_function(new QualifiedName("forward"));
        if (forward == null || forward.isNull()) {
            throw new TraceException(model + ": the TorchScript source defines no function named forward");
        }
        return new LoadedProgram(unit, torch.toGraphFunction(forward).graph());
    }

    static String firstLine(Throwable e) {
        String message = String.valueOf(e.getMessage()).strip();
        int cut = message.indexOf("\nException raised from");
        if (cut > 0) {
            message = message.substring(0, cut);
        }
        String[] lines = message.split("\n");
        StringBuilder kept = new StringBuilder();
        for (String line : lines) {
            if (kept.length() + line.length() > 600) {
                break;
            }
            kept.append(kept.length() == 0 ? "" : " / ").append(line.strip());
        }
        return kept.toString();
    }

    Graph graph() {
        return graph;
    }

    @Override
    public void close() {
        // the module (or compilation unit) owns the graph; dropping our reference lets libtorch free it
        if (owner instanceof Object[] parts) {
            for (Object part : parts) {
                ((org.bytedeco.javacpp.Pointer) part).close();
            }
        } else if (owner instanceof org.bytedeco.javacpp.Pointer pointer) {
            pointer.close();
        }
    }
}
