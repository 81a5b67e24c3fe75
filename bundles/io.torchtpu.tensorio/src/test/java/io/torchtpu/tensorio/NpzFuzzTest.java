package io.torchtpu.tensorio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.torchtpu.api.HostTensor;
import java.io.IOException;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the .npz and .npy readers, through {@link TensorFiles#read}, which picks the reader
 * by content. A malformed file must be refused with a {@link TensorFileException}; anything else is a finding.
 * Seeds: the numpy-written fixtures; the corpus is in {@code NpzFuzzTestInputs/}.
 */
class NpzFuzzTest {
    // what one fuzz input may make the reader allocate: a deflated entry can honestly expand about 1000-fold
    private static final long MAX_EXPANSION = 1100;

    @FuzzTest(maxDuration = "10s")
    void readsOrRefuses(byte[] data) throws IOException {
        Map<String, HostTensor> tensors;
        try {
            tensors = TensorFiles.read(FuzzInput.write(data));
        } catch (TensorFileException refused) {
            return;
        }
        long total = 0;
        for (HostTensor tensor : tensors.values()) {
            total += tensor.type().byteSize();
        }
        if (total > MAX_EXPANSION * data.length) {
            throw new AssertionError("read " + total + " tensor bytes from a file of " + data.length);
        }
    }
}
