package io.torchtpu.tensorio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.torchtpu.api.HostTensor;
import java.io.IOException;
import java.util.Map;

/**
 * Coverage-guided fuzzing of the safetensors reader (Jazzer). A malformed file must be refused with a
 * {@link TensorFileException}; any other exception, an error or a hang is a finding. In CI each run fuzzes for
 * {@code jazzer.max_duration} (10s); without JAZZER_FUZZ it replays the corpus in
 * {@code src/test/resources/io/torchtpu/tensorio/SafetensorsFuzzTestInputs/} as regression tests.
 */
class SafetensorsFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void readsOrRefuses(byte[] data) throws IOException {
        Map<String, HostTensor> tensors;
        try {
            tensors = Safetensors.read(FuzzInput.write(data));
        } catch (TensorFileException refused) {
            return;
        }
        long total = 0;
        for (HostTensor tensor : tensors.values()) {
            total += tensor.type().byteSize();
        }
        if (total > data.length) {
            throw new AssertionError("read " + total + " tensor bytes from a file of " + data.length);
        }
    }
}
