package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;

/** libtorch, loaded by JavaCPP from inside the wrapper bundle, computes inside Felix. */
class LibtorchInFelixTest {

    @Test
    void theBytedecoClassesComeFromTheWrapperBundle() {
        Bundle provider = FrameworkUtil.getBundle(Tensor.class);
        assertNotNull(provider, "org.bytedeco.pytorch.Tensor should be loaded by a bundle, not the class path");
        assertEquals("io.torchtpu.bytedeco.pytorch", provider.getSymbolicName());
    }

    @Test
    void matmulMatchesAHandComputedProduct() {
        // a is 2x3, b is 3x2; every entry of a @ b is checked against a sum written out in Java
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {7, 8, 9, 10, 11, 12};
        float[] expected = new float[4];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 3; k++) {
                    expected[i * 2 + j] += a[i * 3 + k] * b[k * 2 + j];
                }
            }
        }
        try (FloatPointer pa = new FloatPointer(a); FloatPointer pb = new FloatPointer(b)) {
            Tensor ta = torch.from_blob(pa, new long[] {2, 3}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float));
            Tensor tb = torch.from_blob(pb, new long[] {3, 2}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float));
            Tensor product = ta.matmul(tb).contiguous();
            assertArrayEquals(new long[] {2, 2}, product.sizes().vec().get());
            float[] actual = new float[4];
            new FloatPointer(product.data_ptr_float()).capacity(4).get(actual);
            assertArrayEquals(expected, actual, 1e-5f);
            assertTrue(expected[0] == 58f, "sanity: the first entry of the product is 58");
        }
    }
}
