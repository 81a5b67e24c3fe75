package io.torchtpu.tensorio;

/**
 * What a reader accepts before it allocates anything: a file that declares more is refused, so that a
 * corrupt or hostile header cannot make the JVM reserve gigabytes.
 *
 * @param maxHeaderBytes the largest safetensors JSON header or .npy header
 * @param maxEntries the most tensors (or zip entries) in one file
 * @param maxTensorBytes the largest single tensor; at most {@link Integer#MAX_VALUE}, the size of one host buffer
 * @param maxTotalBytes the most tensor bytes one file may declare in all
 */
public record TensorFileLimits(long maxHeaderBytes, int maxEntries, long maxTensorBytes, long maxTotalBytes) {

    /** 100 MB headers (the safetensors bound), 100,000 entries, 2 GiB tensors, 64 GiB in all. */
    public static TensorFileLimits defaults() {
        return new TensorFileLimits(100_000_000L, 100_000, Integer.MAX_VALUE, 64L << 30);
    }

    public TensorFileLimits {
        if (maxHeaderBytes <= 0 || maxEntries <= 0 || maxTensorBytes < 0 || maxTotalBytes < 0) {
            throw new IllegalArgumentException("limits must be positive: " + maxHeaderBytes + ", " + maxEntries + ", "
                    + maxTensorBytes + ", " + maxTotalBytes);
        }
        if (maxTensorBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a host tensor holds at most " + Integer.MAX_VALUE + " bytes");
        }
    }
}
