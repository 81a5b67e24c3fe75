package io.torchtpu.tracer.torchscript;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Host tensors to and from libtorch's. Scalar types are compared by their numeric code: an enum constant that
 * JavaCPP returns from native code carries the right code but not the right ordinal, so a Java switch on it fails.
 */
final class TorchValues {
    private TorchValues() {
    }

    static ScalarType scalarType(DType dtype) {
        return switch (dtype) {
            case F64 -> ScalarType.Double;
            case F32 -> ScalarType.Float;
            case F16 -> ScalarType.Half;
            case BF16 -> ScalarType.BFloat16;
            case I64 -> ScalarType.Long;
            case I32 -> ScalarType.Int;
            case I16 -> ScalarType.Short;
            case I8 -> ScalarType.Char;
            case U8 -> ScalarType.Byte;
            case BOOL -> ScalarType.Bool;
        };
    }

    /** The dtype of a libtorch scalar type code; empty-handed callers get an exception naming the type. */
    static DType dtype(int code) {
        for (DType dtype : DType.values()) {
            if (scalarType(dtype).value == code) {
                return dtype;
            }
        }
        String name = "code " + code;
        for (ScalarType type : ScalarType.values()) {
            if (type.value == code) {
                name = type.name();
            }
        }
        throw new IllegalArgumentException("libtorch's " + name + " has no TorchTPU dtype");
    }

    static TensorType type(Tensor tensor) {
        return TensorType.of(dtype(tensor.scalar_type().value), tensor.sizes().vec().get());
    }

    /** A libtorch tensor that owns a copy of the host tensor's bytes. */
    static Tensor copy(HostTensor host) {
        ByteBuffer data = host.data();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        try (BytePointer pointer = new BytePointer(Math.max(1, bytes.length))) {
            pointer.put(bytes);
            return torch.from_blob(pointer, host.type().shape(), new TensorOptions(scalarType(host.type().dtype()))).clone();
        }
    }

    /** Copies a libtorch tensor (any strides) into a new host tensor. */
    static HostTensor toHost(Tensor tensor) {
        Tensor dense = tensor.contiguous();
        HostTensor host = HostTensor.allocate(type(dense));
        long bytes = host.type().byteSize();
        if (bytes > 0) {
            host.data().put(new BytePointer(dense.data_ptr()).capacity(bytes).asByteBuffer());
        }
        return host;
    }
}
