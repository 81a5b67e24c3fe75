package io.torchtpu.runtime.pjrt;

import io.torchtpu.api.DType;
import io.torchtpu.api.Device;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
import java.nio.ByteBuffer;
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
    /** The runtime whose buffers this one's executables take and whose uploads these are; null for its own. */
    private final PjrtRuntime bufferOwner;

    public PjrtRuntime(PjrtClient client) {
        this(client, null);
    }

    private PjrtRuntime(PjrtClient client, PjrtRuntime bufferOwner) {
        this.client = Objects.requireNonNull(client, "client");
        this.bufferOwner = bufferOwner;
    }

    /**
     * A runtime over {@code client} that compiles and runs there but keeps its tensors on {@code owner}: its
     * uploads are owner's, and its executables take owner's device buffers as they are, each read in place
     * through a buffer of {@code client} that aliases its memory (made on the first run and kept with it), so
     * that one set of weights serves programs on both clients. For two clients of one plugin whose device
     * memory is host memory, such as two XLA CPU clients with thread pools of different sizes; a buffer not
     * in host memory is copied to {@code client} once instead. The new runtime owns {@code client}.
     */
    public static PjrtRuntime sharingBuffersOf(PjrtRuntime owner, PjrtClient client) {
        Objects.requireNonNull(owner, "owner");
        if (client.plugin() != owner.client.plugin()) {
            throw new IllegalArgumentException(client + " is not a client of " + owner.client.plugin());
        }
        return new PjrtRuntime(client, owner.bufferOwner != null ? owner.bufferOwner : owner);
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
        return new PjrtRuntimeExecutable(client.compile(stableHlo, compileOptions), bufferOwner);
    }

    @Override
    public DeviceBuffer upload(HostTensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        if (bufferOwner != null) {
            return bufferOwner.upload(tensor);
        }
        return new PjrtDeviceBuffer(client.bufferFromHost(tensor.data(), elementType(tensor.type().dtype()), tensor.type().shape()));
    }

    @Override
    public Executable deserialize(byte[] serialized) {
        return new PjrtRuntimeExecutable(client.deserialize(serialized), bufferOwner);
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
        /** Whose device buffers this executable reads through views on its own client; null when none. */
        private final PjrtRuntime bufferOwner;

        PjrtRuntimeExecutable(PjrtLoadedExecutable executable, PjrtRuntime bufferOwner) {
            this.executable = executable;
            this.bufferOwner = bufferOwner;
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
            // buffers of the owner read through views: each held for the run, so that a close meanwhile frees
            // its memory only after the view is gone
            List<PjrtBuffer> held = new ArrayList<>();
            try {
                for (int i = 0; i < uploaded.length; i++) {
                    HostTensor input = Objects.requireNonNull(inputs.get(i), "input " + i);
                    // closed before run returns, so the plugin may read the tensor in place (64-byte aligned data)
                    uploaded[i] = client.bufferFromHostZeroCopy(input.data(), elementType(input.type().dtype()),
                            input.type().shape(), null);
                    arguments[i] = uploaded[i];
                }
                for (int i = 0; i < resident.size(); i++) {
                    if (!(resident.get(i) instanceof PjrtDeviceBuffer buffer)
                            || buffer.buffer.client() != client && (bufferOwner == null || buffer.buffer.client() != bufferOwner.client)) {
                        throw new IllegalArgumentException("argument " + (uploaded.length + i)
                                + ": a device buffer must come from upload() of this executable's runtime");
                    }
                    if (buffer.buffer.client() == client) {
                        arguments[uploaded.length + i] = buffer.buffer;
                    } else {
                        buffer.buffer.acquire();
                        held.add(buffer.buffer);
                        arguments[uploaded.length + i] = buffer.viewOn(client);
                    }
                }
                outputs = executable.execute(arguments);
                results.accept(outputs);
            } finally {
                closeAll(uploaded);
                closeAll(outputs);
                held.forEach(buffer -> buffer.resource().release());
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
        /** The buffer as another client reads it ({@link #sharingBuffersOf}); null until one asks. */
        private PjrtBuffer view;

        PjrtDeviceBuffer(PjrtBuffer buffer) {
            this.buffer = buffer;
        }

        /**
         * The buffer on {@code other}: a buffer there aliasing its memory, or, where its memory is not host
         * memory, a copy; made once and closed with this one. The caller holds a use of the buffer.
         */
        synchronized PjrtBuffer viewOn(PjrtClient other) {
            if (view == null || view.isClosed() || view.client() != other) {
                if (view != null) {
                    view.close();
                }
                ByteBuffer memory = buffer.hostView();
                view = memory != null ? other.bufferFromHostZeroCopy(memory, buffer.elementType(), buffer.dims(), null)
                        : other.bufferFromHost(buffer.toHost(), buffer.elementType(), buffer.dims(), null);
            }
            return view;
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

        /** Closes the view first: it reads this buffer's memory. */
        @Override
        public void close() {
            synchronized (this) {
                if (view != null) {
                    view.close();
                }
            }
            buffer.close();
        }
    }
}
