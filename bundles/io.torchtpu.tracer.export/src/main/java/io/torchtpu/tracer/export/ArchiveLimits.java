package io.torchtpu.tracer.export;

/**
 * Bounds checked before anything is allocated, so that a hostile or broken archive is refused with a clear
 * message instead of exhausting memory.
 *
 * @param maxEntries zip entries an archive may hold
 * @param maxEntryBytes uncompressed bytes of any one entry read (a weight storage or a JSON document)
 * @param maxJsonBytes uncompressed bytes of a JSON entry
 * @param maxJsonDepth nesting of JSON objects and arrays
 * @param maxTensorBytes the sum of the declared sizes of every weight and constant the graph takes
 */
record ArchiveLimits(int maxEntries, long maxEntryBytes, long maxJsonBytes, int maxJsonDepth, long maxTensorBytes) {

    /** Generous for real models (a 7B-parameter f16 model is 14 GB), small enough to refuse absurd declarations. */
    static final ArchiveLimits DEFAULTS = new ArchiveLimits(100_000, Integer.MAX_VALUE - 8L, 512L << 20, 256, 64L << 30);

    ArchiveLimits {
        if (maxEntries <= 0 || maxEntryBytes <= 0 || maxJsonBytes <= 0 || maxJsonDepth <= 0 || maxTensorBytes <= 0) {
            throw new IllegalArgumentException("archive limits must be positive");
        }
        // a Java array or direct buffer holds at most this many bytes
        maxEntryBytes = Math.min(maxEntryBytes, Integer.MAX_VALUE - 8L);
        maxJsonBytes = Math.min(maxJsonBytes, maxEntryBytes);
    }
}
