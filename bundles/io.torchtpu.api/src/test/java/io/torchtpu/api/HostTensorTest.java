package io.torchtpu.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostTensorTest {

    @Test
    void allocatedTensorsHoldExactlyTheirBytesAlignedFor0To200Bytes() {
        for (int elements = 0; elements <= 50; elements++) {
            HostTensor tensor = HostTensor.allocate(TensorType.of(DType.F32, elements));
            assertEquals(elements * 4, tensor.data().remaining(), "bytes of f32[" + elements + "]");
            if (elements > 0) {
                // for a direct buffer, alignmentOffset is its address modulo the unit size
                assertEquals(0, tensor.data().alignmentOffset(0, HostTensor.ALIGNMENT), "alignment of f32[" + elements + "]");
            }
        }
    }

    @Test
    void floatsRoundTrip() {
        float[] values = {1.5f, -2f, 0f, Float.NaN, 3e-39f};
        assertArrayEquals(values, HostTensor.ofFloats(values, 5).toFloatArray());
    }

    @Test
    void aBufferOfTheWrongSizeIsRefusedWithBothSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HostTensor.wrap(TensorType.of(DType.F32, 2, 3), java.nio.ByteBuffer.allocate(20)));
        assertEquals("a tensor<2x3xf32> needs 24 bytes, the buffer holds 20", e.getMessage());
    }
}
