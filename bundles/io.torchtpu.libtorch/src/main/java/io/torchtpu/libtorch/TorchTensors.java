package io.torchtpu.libtorch;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * HostTensor and Bytedeco Tensor, each way. {@link #view} shares the host tensor's memory (no copy; the
 * host tensor must outlive the view); {@link #toHost} copies, since libtorch owns its storage.
 */
public final class TorchTensors {
    private TorchTensors() {
    }

    public static ScalarType scalarType(DType dtype) {
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

    /**
     * The dtype of a libtorch scalar type. Compared by the native value: an enum that native code hands
     * back does not take part in a Java {@code switch} reliably.
     */
    public static DType dtype(ScalarType type) {
        for (DType dtype : DType.values()) {
            if (scalarType(dtype).value == type.value) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("libtorch's " + type + " has no TorchTPU dtype");
    }

    /** A libtorch tensor over the host tensor's bytes, without copying them; it must not outlive {@code host}. */
    public static Tensor view(HostTensor host) {
        ByteBuffer data = host.data();
        if (!data.isDirect()) {
            throw new IllegalArgumentException("a view needs a host tensor in a direct buffer; copy it with HostTensor.allocate first");
        }
        Pointer pointer = new BytePointer(data);
        return torch.from_blob(pointer, host.type().shape(), new TensorOptions(scalarType(host.type().dtype())));
    }

    /** A libtorch tensor that owns a copy of the host tensor's bytes. */
    public static Tensor copy(HostTensor host) {
        return view(host).clone();
    }

    /** Copies a libtorch tensor (any strides) into a new host tensor. */
    public static HostTensor toHost(Tensor tensor) {
        Tensor dense = tensor.contiguous();
        TensorType type = TensorType.of(dtype(dense.scalar_type()), dense.sizes().vec().get());
        HostTensor host = HostTensor.allocate(type);
        long bytes = type.byteSize();
        if (bytes > 0) {
            BytePointer source = new BytePointer(dense.data_ptr()).capacity(bytes);
            host.data().put(source.asByteBuffer());
        }
        return host;
    }
}
