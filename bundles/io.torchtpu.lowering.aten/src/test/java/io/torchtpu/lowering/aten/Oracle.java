package io.torchtpu.lowering.aten;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** libtorch (Bytedeco) as the oracle: host tensors of every dtype to and from libtorch tensors, and element decoding. */
final class Oracle {
    private Oracle() {
    }

    static torch.ScalarType scalarType(DType dtype) {
        return switch (dtype) {
            case F64 -> torch.ScalarType.Double;
            case F32 -> torch.ScalarType.Float;
            case F16 -> torch.ScalarType.Half;
            case BF16 -> torch.ScalarType.BFloat16;
            case I64 -> torch.ScalarType.Long;
            case I32 -> torch.ScalarType.Int;
            case I16 -> torch.ScalarType.Short;
            case I8 -> torch.ScalarType.Char;
            case U8 -> torch.ScalarType.Byte;
            case BOOL -> torch.ScalarType.Bool;
        };
    }

    static DType dtype(torch.ScalarType type) {
        for (DType dtype : DType.values()) {
            if (scalarType(dtype).value == type.value) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("no dtype for " + type);
    }

    static Tensor tensor(HostTensor host) {
        ByteBuffer data = host.data();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        try (BytePointer pointer = new BytePointer(Math.max(1, bytes.length))) {
            pointer.put(bytes);
            return torch.from_blob(pointer, host.type().shape(), new TensorOptions(scalarType(host.type().dtype()))).clone();
        }
    }

    static HostTensor host(Tensor tensor) {
        Tensor dense = tensor.contiguous();
        TensorType type = TensorType.of(dtype(dense.scalar_type()), dense.sizes().vec().get());
        HostTensor host = HostTensor.allocate(type);
        if (type.byteSize() > 0) {
            byte[] bytes = new byte[(int) type.byteSize()];
            new BytePointer(dense.data_ptr()).capacity(bytes.length).get(bytes);
            host.data().put(bytes);
        }
        return host;
    }

    /** Every element as a double (16-bit floats decoded exactly). */
    static double[] values(HostTensor host) {
        ByteBuffer data = host.data().order(ByteOrder.LITTLE_ENDIAN);
        int count = (int) host.type().elementCount();
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = switch (host.type().dtype()) {
                case F64 -> data.getDouble();
                case F32 -> data.getFloat();
                case F16 -> half(data.getShort());
                case BF16 -> Float.intBitsToFloat((data.getShort() & 0xFFFF) << 16);
                case I64 -> data.getLong();
                case I32 -> data.getInt();
                case I16 -> data.getShort();
                case I8 -> data.get();
                case U8 -> data.get() & 0xFF;
                case BOOL -> data.get() != 0 ? 1 : 0;
            };
        }
        return values;
    }

    static double half(short bits) {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        double value;
        if (exponent == 0) {
            value = mantissa * Math.pow(2, -24);
        } else if (exponent == 31) {
            value = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            value = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
        }
        return sign == 1 ? -value : value;
    }

    /** A host tensor of {@code dtype} from doubles (rounded the way libtorch's conversion from double rounds). */
    static HostTensor fromDoubles(DType dtype, double[] values, long... shape) {
        HostTensor f64 = HostTensor.allocate(TensorType.of(DType.F64, shape));
        f64.data().asDoubleBuffer().put(values);
        return host(tensor(f64).to(scalarType(dtype)));
    }
}
