package io.torchtpu.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutableCacheTest {
    @TempDir
    Path directory;

    private final byte[] payload = "a serialized executable".getBytes();

    @Test
    void anEntryComesBackAsItWasStored() {
        ExecutableCache cache = new ExecutableCache(directory);
        String key = ExecutableCache.key("fingerprint", "cpu 0.115", "{aten::add.Tensor=io.torchtpu.lowering.aten/0}", "{}");
        cache.put(key, payload);
        assertArrayEquals(payload, cache.get(key).orElseThrow());
    }

    @Test
    void everyPartOfTheKeyChangesIt() {
        String base = ExecutableCache.key("f", "runtime", "providers", "options");
        assertNotEquals(base, ExecutableCache.key("g", "runtime", "providers", "options"));
        assertNotEquals(base, ExecutableCache.key("f", "runtime 2", "providers", "options"));
        assertNotEquals(base, ExecutableCache.key("f", "runtime", "providers 2", "options"));
        assertNotEquals(base, ExecutableCache.key("f", "runtime", "providers", "options 2"));
    }

    @Test
    void aCorruptEntryIsIgnoredAndDeleted() throws IOException {
        ExecutableCache cache = new ExecutableCache(directory);
        String key = ExecutableCache.key("f", "r", "p", "o");
        cache.put(key, payload);
        Path file = directory.resolve(key + ".exe");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);
        assertTrue(cache.get(key).isEmpty(), "a flipped bit fails the checksum");
        assertFalse(Files.exists(file), "the corrupt entry is deleted so that the next compile replaces it");
    }

    @Test
    void aTruncatedEntryIsIgnored() throws IOException {
        ExecutableCache cache = new ExecutableCache(directory);
        String key = ExecutableCache.key("f", "r", "p", "o");
        cache.put(key, payload);
        Path file = directory.resolve(key + ".exe");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
        assertTrue(cache.get(key).isEmpty());
    }

    @Test
    void anEntryStoredUnderAnotherKeyIsNotLoaded() throws IOException {
        ExecutableCache cache = new ExecutableCache(directory);
        String key = ExecutableCache.key("f", "r", "p", "o");
        String other = ExecutableCache.key("f", "r2", "p", "o");
        cache.put(other, payload);
        Files.move(directory.resolve(other + ".exe"), directory.resolve(key + ".exe"));
        assertTrue(cache.get(key).isEmpty(), "a file renamed to another key is stale");
    }

    @Test
    void anEntryOfAnotherFormatVersionIsNotLoaded() {
        String key = ExecutableCache.key("f", "r", "p", "o");
        byte[] entry = ExecutableCache.encode(key, payload);
        entry[11] = 99;
        assertTrue(ExecutableCache.decode(entry, key).isEmpty());
    }

    @Test
    void listAndClear() throws IOException {
        ExecutableCache cache = new ExecutableCache(directory);
        cache.put(ExecutableCache.key("a", "r", "p", "o"), payload);
        cache.put(ExecutableCache.key("b", "r", "p", "o"), payload);
        assertEquals(2, cache.list().size());
        assertEquals(2, cache.clear());
        assertEquals(0, cache.list().size());
    }
}
