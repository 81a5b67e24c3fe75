package io.torchtpu.itest;

import io.torchtpu.api.HostTensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** libtorch as the oracle: f32 tensors to and from Java arrays and host tensors. */
final class Torch {
    private Torch() {
    }

    /** A libtorch tensor holding a copy of the values. */
    static Tensor tensor(float[] values, long... shape) {
        FloatPointer pointer = new FloatPointer(values);
        // clone, so that the tensor owns its memory and the pointer can go
        Tensor view = torch.from_blob(pointer, shape, new TensorOptions(torch.ScalarType.Float));
        Tensor copy = view.clone();
        pointer.close();
        return copy;
    }

    static float[] values(Tensor tensor) {
        Tensor dense = tensor.contiguous();
        float[] values = new float[(int) dense.numel()];
        new FloatPointer(dense.data_ptr_float()).capacity(values.length).get(values);
        return values;
    }

    static long[] shape(Tensor tensor) {
        return tensor.sizes().vec().get();
    }

    /** Deterministic values in [-1, 1): the same seed gives the same numbers on every run. */
    static float[] random(long seed, int count) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    static HostTensor host(float[] values, long... shape) {
        return HostTensor.ofFloats(values, shape);
    }
}
