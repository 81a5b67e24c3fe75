package io.torchtpu.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialized executables on disk, keyed by everything a compiled program depends on. An entry carries a
 * format version, its own key and a checksum of its payload: an entry that is corrupt, truncated, from
 * another format or for another key is ignored and deleted, never loaded.
 */
final class ExecutableCache {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutableCache.class);
    private static final byte[] MAGIC = "TTPUEXE\n".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 1;
    private static final String SUFFIX = ".exe";

    private final Path directory;

    ExecutableCache(Path directory) {
        this.directory = directory;
    }

    Path directory() {
        return directory;
    }

    /** The key: a sha-256 over the module's fingerprint, the runtime's identity and the lowering providers. */
    static String key(String moduleFingerprint, String runtimeIdentity, String providers, String compileOptions) {
        return sha256(String.join("\n", "format " + FORMAT_VERSION, moduleFingerprint, runtimeIdentity, providers, compileOptions)
                .getBytes(StandardCharsets.UTF_8));
    }

    Optional<byte[]> get(String key) {
        Path file = directory.resolve(key + SUFFIX);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            byte[] entry = Files.readAllBytes(file);
            Optional<byte[]> payload = decode(entry, key);
            if (payload.isEmpty()) {
                LOG.warn("compile cache entry {} is corrupt or stale: deleting it, the program will be compiled", file);
                Files.deleteIfExists(file);
            }
            return payload;
        } catch (IOException e) {
            LOG.warn("compile cache entry {} could not be read ({}): compiling instead", file, e.getMessage());
            return Optional.empty();
        }
    }

    void put(String key, byte[] payload) {
        try {
            Files.createDirectories(directory);
            Path temporary = Files.createTempFile(directory, key, ".tmp");
            Files.write(temporary, encode(key, payload));
            try {
                Files.move(temporary, directory.resolve(key + SUFFIX), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, directory.resolve(key + SUFFIX), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warn("could not write the compile cache entry in {}: {}", directory, e.getMessage());
        }
    }

    /** The entries: file name and size. */
    List<String> list() throws IOException {
        List<String> entries = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return entries;
        }
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().toList()) {
                entries.add(file.getFileName() + "  " + Files.size(file) + " bytes");
            }
        }
        return entries;
    }

    /** Deletes every entry; returns how many. */
    int clear() throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        int deleted = 0;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                Files.deleteIfExists(file);
                deleted++;
            }
        }
        return deleted;
    }

    static byte[] encode(String key, byte[] payload) {
        byte[] keyBytes = key.getBytes(StandardCharsets.US_ASCII);
        byte[] checksum = HexFormat.of().parseHex(sha256(payload));
        ByteBuffer buffer = ByteBuffer.allocate(MAGIC.length + 4 + 4 + keyBytes.length + 32 + 8 + payload.length);
        buffer.put(MAGIC).putInt(FORMAT_VERSION).putInt(keyBytes.length).put(keyBytes).put(checksum).putLong(payload.length).put(payload);
        return buffer.array();
    }

    static Optional<byte[]> decode(byte[] entry, String expectedKey) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(entry);
            byte[] magic = new byte[MAGIC.length];
            buffer.get(magic);
            if (!MessageDigest.isEqual(magic, MAGIC) || buffer.getInt() != FORMAT_VERSION) {
                return Optional.empty();
            }
            int keyLength = buffer.getInt();
            if (keyLength < 0 || keyLength > 128) {
                return Optional.empty();
            }
            byte[] key = new byte[keyLength];
            buffer.get(key);
            byte[] checksum = new byte[32];
            buffer.get(checksum);
            long length = buffer.getLong();
            if (!new String(key, StandardCharsets.US_ASCII).equals(expectedKey) || length != buffer.remaining()) {
                return Optional.empty();
            }
            byte[] payload = new byte[(int) length];
            buffer.get(payload);
            if (!MessageDigest.isEqual(checksum, HexFormat.of().parseHex(sha256(payload)))) {
                return Optional.empty();
            }
            return Optional.of(payload);
        } catch (RuntimeException e) {
            // a truncated entry underflows the buffer
            return Optional.empty();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
