package io.torchtpu.tensorio;

import io.torchtpu.api.HostTensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npz}: a zip archive of {@code NAME.npy} entries, stored or deflated, as {@code numpy.savez}
 * and {@code numpy.savez_compressed} write it. Nothing is ever extracted to disk; entry names that would escape
 * a directory (absolute, {@code ..}, backslashes) are refused all the same, since such an archive is not honest.
 */
public final class Npz {
    private static final String SUFFIX = ".npy";
    private static final long MAX_DEFLATE_RATIO = 1032;

    private Npz() {
    }

    public static Map<String, HostTensor> read(Path file) throws IOException {
        return read(file, TensorFileLimits.defaults());
    }

    /** The arrays in archive order, keyed by entry name without {@code .npy}. */
    public static Map<String, HostTensor> read(Path file, TensorFileLimits limits) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException | java.io.EOFException e) {
            // a file cut short inside the zip's end record is an EOFException, not a ZipException
            throw new TensorFileException(file, null, "not a .npz (zip) archive, or a truncated one: " + e, e);
        }
        try (zip) {
            if (zip.size() > limits.maxEntries()) {
                throw new TensorFileException(file, null, "holds " + zip.size() + " entries, more than the limit of " + limits.maxEntries());
            }
            List<? extends ZipEntry> entries = list(zip, file);
            for (ZipEntry entry : entries) {
                checkName(file, entry.getName());
            }
            long fileSize = java.nio.file.Files.size(file);
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            BigInteger total = BigInteger.ZERO;
            for (ZipEntry entry : entries) {
                if (entry.isDirectory()) {
                    continue;
                }
                String name = entry.getName();
                if (!name.endsWith(SUFFIX)) {
                    throw new TensorFileException(file, name, "is not a .npy array; a .npz holds only NAME.npy entries");
                }
                String key = name.substring(0, name.length() - SUFFIX.length());
                if (tensors.containsKey(key)) {
                    throw new TensorFileException(file, name, "appears twice in the archive");
                }
                checkDeclaredSize(file, entry, fileSize);
                long remainingBudget = BigInteger.valueOf(limits.maxTotalBytes()).subtract(total).longValue();
                TensorFileLimits entryLimits = new TensorFileLimits(limits.maxHeaderBytes(), limits.maxEntries(),
                        Math.max(0, Math.min(limits.maxTensorBytes(), remainingBudget)), limits.maxTotalBytes());
                HostTensor tensor;
                try (InputStream in = zip.getInputStream(entry)) {
                    tensor = Npy.read(in, entry.getSize(), file, name, entryLimits);
                } catch (ZipException e) {
                    throw new TensorFileException(file, name, "cannot be decompressed (corrupt archive?): " + e.getMessage(), e);
                } catch (java.io.EOFException e) {
                    throw new TensorFileException(file, name, "ends early (truncated archive?)", e);
                }
                total = total.add(BigInteger.valueOf(tensor.type().byteSize()));
                tensors.put(key, tensor);
            }
            return tensors;
        }
    }

    /**
     * The uncompressed size an entry declares is what the reader allocates, so it must be one the stored bytes can
     * yield: equal to them when stored, at most DEFLATE's largest ratio (1032:1) when deflated. Otherwise a tiny
     * archive could make the reader reserve gigabytes before it finds the data missing.
     */
    private static void checkDeclaredSize(Path file, ZipEntry entry, long fileSize) throws TensorFileException {
        long declared = entry.getSize();
        long compressed = entry.getCompressedSize();
        if (declared < 0 || compressed < 0) {
            throw new TensorFileException(file, entry.getName(), "does not declare its sizes in the archive's directory");
        }
        // the directory's stored size is itself a claim: no entry stores more bytes than the whole file has
        if (compressed > fileSize) {
            throw new TensorFileException(file, entry.getName(), "declares " + compressed + " stored bytes in a file of "
                    + fileSize + " (a corrupt or hostile archive)");
        }
        long possible = entry.getMethod() == ZipEntry.STORED ? compressed : compressed * MAX_DEFLATE_RATIO + 1024;
        if (declared > possible) {
            throw new TensorFileException(file, entry.getName(), "declares " + declared + " bytes from " + compressed
                    + " stored bytes, more than they can hold (a corrupt or hostile archive)");
        }
    }

    private static List<? extends ZipEntry> list(ZipFile zip, Path file) throws TensorFileException {
        List<ZipEntry> entries = new ArrayList<>();
        try {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                entries.add(e.nextElement());
            }
        } catch (IllegalArgumentException e) {
            // the JDK decodes entry names lazily and throws this for bytes that are no valid name
            throw new TensorFileException(file, null, "the archive's directory holds an entry name that is not valid UTF-8: " + e.getMessage(), e);
        }
        return entries;
    }

    /** Refuses names that would leave the archive's root if extracted (zip-slip), or that no file may have. */
    static void checkName(Path file, String name) throws TensorFileException {
        boolean escapes = name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0
                || (name.length() > 1 && name.charAt(1) == ':');
        for (String segment : name.split("/", -1)) {
            escapes |= segment.equals("..");
        }
        if (escapes) {
            throw new TensorFileException(file, name, "is a path that escapes the archive's root; refusing the archive");
        }
    }

    /** Writes the tensors as stored (uncompressed) entries, as {@code numpy.savez} does; replaces the file when all is written. */
    public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
        List<byte[]> headers = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            checkName(file, e.getKey() + SUFFIX);
            headers.add(Npy.header(file, e.getKey(), e.getValue().type()));
        }
        AtomicFile.write(file, channel -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            ZipOutputStream zip = new ZipOutputStream(out);
            int index = 0;
            for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
                byte[] header = headers.get(index++);
                ByteBuffer data = e.getValue().data();
                CRC32 crc = new CRC32();
                crc.update(header);
                crc.update(data.duplicate());
                ZipEntry entry = new ZipEntry(e.getKey() + SUFFIX);
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(header.length + (long) data.remaining());
                entry.setCompressedSize(entry.getSize());
                entry.setCrc(crc.getValue());
                entry.setTime(0); // reproducible archives
                zip.putNextEntry(entry);
                Npy.writeTo(zip, header, e.getValue());
                zip.closeEntry();
            }
            zip.finish();
            out.flush();
        });
    }
}
