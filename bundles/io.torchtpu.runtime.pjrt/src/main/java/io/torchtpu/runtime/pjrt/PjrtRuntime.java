package io.torchtpu.runtime.pjrt;

import io.torchtpu.api.DType;
import io.torchtpu.api.Device;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The TorchTPU {@link Runtime} over one PJRT client: what every PJRT backend (CPU, CUDA, TPU) hands
 * out. It owns the client; closing the runtime closes the client and everything compiled on it.
 */
public final class PjrtRuntime implements Runtime, AutoCloseable {
    private final PjrtClient client;

    public PjrtRuntime(PjrtClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    public PjrtClient client() {
        return client;
    }

    @Override
    public String platformName() {
        return client.platformName();
    }

    @Override
    public String platformVersion() {
        return client.platformVersion();
    }

    /**
     * Platform, PJRT API version, the plugin file (path, size, modification time), the device count and the
     * compiler flags from the environment.
     */
    @Override
    public String identity() {
        java.nio.file.Path plugin = client.plugin().path();
        String file;
        try {
            file = plugin + ":" + java.nio.file.Files.size(plugin) + ":" + java.nio.file.Files.getLastModifiedTime(plugin).toMillis();
        } catch (java.io.IOException e) {
            file = plugin.toString();
        }
        return platformName() + " " + platformVersion() + " pjrt " + client.plugin().apiVersion() + " " + file + " "
                + client.addressableDevices().size() + " device(s)" + compilerEnvironment();
    }

    /**
     * The environment variables XLA and libtpu read their compiler flags from, where set: a program compiled
     * under other flags is another program, and a compile cache keyed by this identity must not hand it out.
     */
    static String compilerEnvironment() {
        StringBuilder text = new StringBuilder();
        for (String name : new String[] {"XLA_FLAGS", "LIBTPU_INIT_ARGS"}) {
            String value = System.getenv(name);
            if (value != null && !value.isBlank()) {
                text.append(' ').append(name).append('=').append(value.trim());
            }
        }
        return text.toString();
    }

    @Override
    public List<Device> devices() {
        List<Device> devices = new ArrayList<>();
        for (PjrtDevice device : client.addressableDevices()) {
            Map<String, Object> attributes = new LinkedHashMap<>();
            attributes.put("description", device.debugString());
            attributes.put("memories", device.memories().stream().map(Object::toString).toList());
            devices.add(new Device(device.id(), device.kind(), attributes));
        }
        return devices;
    }

    @Override
    public Executable compile(String stableHlo, Map<String, Object> options) {
        CompileOptions compileOptions = CompileOptions.defaults();
        for (Map.Entry<String, Object> option : options.entrySet()) {
            compileOptions = switch (option.getKey()) {
                case "num_replicas" -> compileOptions.withNumReplicas(((Number) option.getValue()).intValue());
                case "num_partitions" -> compileOptions.withNumPartitions(((Number) option.getValue()).intValue());
                case "spmd" -> compileOptions.withSpmdPartitioning(Boolean.parseBoolean(option.getValue().toString()));
                default -> compileOptions.withOverride(option.getKey(), option.getValue());
            };
        }
        return new PjrtRuntimeExecutable(client.compile(stableHlo, compileOptions));
    }

    @Override
    public DeviceBuffer upload(HostTensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        return new PjrtDeviceBuffer(client.bufferFromHost(tensor.data(), elementType(tensor.type().dtype()), tensor.type().shape()));
    }

    @Override
    public Executable deserialize(byte[] serialized) {
        return new PjrtRuntimeExecutable(client.deserialize(serialized));
    }

    @Override
    public void close() {
        client.close();
    }

    static PjrtElementType elementType(DType dtype) {
        PjrtElementType type = PjrtElementType.fromMlir(dtype.stableHloName());
        if (type == null) {
            throw new IllegalArgumentException("no PJRT element type for " + dtype);
        }
        return type;
    }

    static DType dtype(PjrtElementType type) {
        for (DType dtype : DType.values()) {
            if (dtype.stableHloName().equals(type.mlirName())) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("the PJRT element type " + type + " has no TorchTPU dtype");
    }

    static TensorType tensorType(TensorSpec spec) {
        return TensorType.of(dtype(spec.elementType()), spec.dims());
    }

    /** One compiled program; inputs are copied to the device, outputs back to host tensors. */
    private static final class PjrtRuntimeExecutable implements Executable {
        private final PjrtLoadedExecutable executable;

        PjrtRuntimeExecutable(PjrtLoadedExecutable executable) {
            this.executable = executable;
        }

        @Override
        public List<TensorType> inputTypes() {
            List<TensorSpec> parameters = executable.parameters();
            if (parameters == null) {
                throw new IllegalStateException("the parameter types of " + executable.name() + " are not known");
            }
            return parameters.stream().map(PjrtRuntime::tensorType).toList();
        }

        @Override
        public List<TensorType> outputTypes() {
            return executable.outputs().stream().map(PjrtRuntime::tensorType).toList();
        }

        @Override
        public List<HostTensor> run(List<HostTensor> inputs) {
            return run(inputs, List.of());
        }

        @Override
        public List<HostTensor> run(List<HostTensor> inputs, List<DeviceBuffer> resident) {
            List<HostTensor> outputs = new ArrayList<>();
            execute(inputs, resident, results -> {
                for (PjrtBuffer result : results) {
                    HostTensor output = HostTensor.allocate(TensorType.of(dtype(result.elementType()), result.dims()));
                    result.toHost(output.data());
                    outputs.add(output);
                }
            });
            return outputs;
        }

        @Override
        public void run(List<HostTensor> inputs, List<DeviceBuffer> resident, List<HostTensor> outputs) {
            execute(inputs, resident, results -> {
                if (results.length != outputs.size()) {
                    throw new IllegalArgumentException(executable.name() + " returns " + results.length + " outputs, "
                            + outputs.size() + " output tensors were given");
                }
                for (int i = 0; i < results.length; i++) {
                    TensorType type = TensorType.of(dtype(results[i].elementType()), results[i].dims());
                    if (!outputs.get(i).type().equals(type)) {
                        throw new IllegalArgumentException("output " + i + " of " + executable.name() + " is " + type
                                + ", the tensor given for it is " + outputs.get(i).type());
                    }
                }
                for (int i = 0; i < results.length; i++) {
                    results[i].toHost(outputs.get(i).data());
                }
            });
        }

        /** Uploads the inputs, executes with the resident buffers after them, hands the results over, frees them. */
        private void execute(List<HostTensor> inputs, List<DeviceBuffer> resident, java.util.function.Consumer<PjrtBuffer[]> results) {
            PjrtClient client = executable.client();
            PjrtBuffer[] uploaded = new PjrtBuffer[inputs.size()];
            PjrtBuffer[] arguments = new PjrtBuffer[inputs.size() + resident.size()];
            PjrtBuffer[] outputs = null;
            try {
                for (int i = 0; i < uploaded.length; i++) {
                    HostTensor input = Objects.requireNonNull(inputs.get(i), "input " + i);
                    // closed before run returns, so the plugin may read the tensor in place (64-byte aligned data)
                    uploaded[i] = client.bufferFromHostZeroCopy(input.data(), elementType(input.type().dtype()),
                            input.type().shape(), null);
                    arguments[i] = uploaded[i];
                }
                for (int i = 0; i < resident.size(); i++) {
                    if (!(resident.get(i) instanceof PjrtDeviceBuffer buffer) || buffer.buffer.client() != client) {
                        throw new IllegalArgumentException("argument " + (uploaded.length + i)
                                + ": a device buffer must come from upload() of this executable's runtime");
                    }
                    arguments[uploaded.length + i] = buffer.buffer;
                }
                outputs = executable.execute(arguments);
                results.accept(outputs);
            } finally {
                closeAll(uploaded);
                closeAll(outputs);
            }
        }

        @Override
        public byte[] serialize() {
            return executable.serialize();
        }

        @Override
        public void close() {
            executable.close();
        }

        private static void closeAll(PjrtBuffer[] buffers) {
            if (buffers == null) {
                return;
            }
            for (PjrtBuffer buffer : buffers) {
                if (buffer != null) {
                    buffer.close();
                }
            }
        }
    }

    /** A PJRT buffer behind the API's DeviceBuffer. */
    private static final class PjrtDeviceBuffer implements DeviceBuffer {
        private final PjrtBuffer buffer;

        PjrtDeviceBuffer(PjrtBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public TensorType type() {
            return TensorType.of(dtype(buffer.elementType()), buffer.dims());
        }

        @Override
        public HostTensor toHost() {
            HostTensor host = HostTensor.allocate(type());
            buffer.toHost(host.data());
            return host;
        }

        @Override
        public void close() {
            buffer.close();
        }
    }
}
