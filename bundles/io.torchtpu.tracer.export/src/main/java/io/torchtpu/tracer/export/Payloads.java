package io.torchtpu.tracer.export;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights and tensor constants of one model in the archive: the payload configs
 * ({@code data/weights/<model>_weights_config.json}, {@code data/constants/<model>_constants_config.json}) map
 * each fully qualified name to a raw storage file and the tensor's dtype, sizes, strides and storage offset in
 * it. Several tensors may share one storage (tied weights, views), so a storage is read once per trace.
 */
final class Payloads {
    static final String WEIGHTS_DIR = "data/weights/";
    static final String CONSTANTS_DIR = "data/constants/";

    /**
     * One tensor's bytes in the archive.
     *
     * @param configEntry the payload config that describes it, relative to the root
     * @param storageEntry the raw storage file, relative to the root
     */
    record Payload(String fqn, String configEntry, String storageEntry, TensorMeta meta) {
    }

    private final Pt2Archive archive;
    private final Map<String, Payload> weights;
    private final Map<String, Payload> constants;
    private final Map<String, byte[]> storages = new HashMap<>();
    /** Tied weights (one tensor under two names) share one host tensor. */
    private final Map<String, HostTensor> loaded = new HashMap<>();

    private Payloads(Pt2Archive archive, Map<String, Payload> weights, Map<String, Payload> constants) {
        this.archive = archive;
        this.weights = weights;
        this.constants = constants;
    }

    static Payloads read(Pt2Archive archive, String modelName) {
        return new Payloads(archive, readConfig(archive, WEIGHTS_DIR, WEIGHTS_DIR + modelName + "_weights_config.json"),
                readConfig(archive, CONSTANTS_DIR, CONSTANTS_DIR + modelName + "_constants_config.json"));
    }

    private static Map<String, Payload> readConfig(Pt2Archive archive, String folder, String configEntry) {
        Map<String, Payload> payloads = new LinkedHashMap<>();
        if (!archive.exists(configEntry)) {
            return payloads;
        }
        try {
            Object document = archive.readJson(configEntry);
            if (!(document instanceof JsonObject root)) {
                throw new JsonObject.FormatException("the document should be an object, is " + JsonObject.describe(document));
            }
            JsonObject config = root.object("config");
            for (String fqn : config.members().keySet()) {
                JsonObject entry = config.object(fqn);
                String pathName = entry.string("path_name");
                if (pathName.isEmpty() || pathName.contains("/") || pathName.contains("\\") || pathName.equals("..")) {
                    throw new JsonObject.FormatException(entry.child("path_name") + " \"" + pathName
                            + "\" is not a plain file name inside " + folder + "; refusing the archive");
                }
                if (entry.has("use_pickle") && entry.bool("use_pickle")) {
                    throw new JsonObject.FormatException(fqn + " is stored pickled (" + folder + pathName + ", a tensor subclass or "
                            + "custom object); this reader never unpickles, save the model with plain tensors");
                }
                if (!entry.hasValue("tensor_meta")) {
                    throw new JsonObject.FormatException(fqn + " (" + folder + pathName + ") has no tensor_meta: it is not a tensor");
                }
                TensorMeta meta = TensorMeta.parse(entry.object("tensor_meta"), fqn);
                payloads.put(fqn, new Payload(fqn, configEntry, folder + pathName, meta));
            }
        } catch (JsonObject.FormatException e) {
            throw archive.errorAt(configEntry, e.getMessage());
        }
        return payloads;
    }

    /** A parameter or persistent buffer. */
    Payload weight(String fqn) {
        return weights.get(fqn);
    }

    /** A lifted tensor constant or non-persistent buffer. */
    Payload constant(String fqn) {
        return constants.get(fqn);
    }

    /**
     * Checks, before any storage is read, that every tensor fits the limit, that the sum of their sizes does,
     * and that every storage file exists and is large enough for the tensors that lie in it.
     */
    void checkBeforeLoading(List<Payload> payloads, ArchiveLimits limits) {
        long total = 0;
        for (Payload payload : payloads) {
            long bytes;
            long reach;
            try {
                bytes = payload.meta().byteSize(payload.fqn());
                reach = payload.meta().storageBytesNeeded(payload.fqn());
            } catch (JsonObject.FormatException e) {
                throw archive.errorAt(payload.configEntry(), e.getMessage());
            }
            if (bytes > limits.maxEntryBytes()) {
                throw archive.errorAt(payload.configEntry(), payload.fqn() + " declares a " + describe(payload) + " of " + bytes
                        + " bytes, more than the limit of " + limits.maxEntryBytes() + " bytes for one tensor");
            }
            total += bytes;
            if (total > limits.maxTensorBytes()) {
                throw archive.errorAt(payload.configEntry(), payload.fqn() + " (a " + describe(payload) + ") brings the declared weights to "
                        + total + " bytes, more than the limit of " + limits.maxTensorBytes() + " bytes");
            }
            if (!archive.exists(payload.storageEntry())) {
                throw archive.error(payload.storageEntry(), "is missing: " + archive.entryName(payload.configEntry()) + " says it holds "
                        + payload.fqn());
            }
            long size = archive.declaredSize(payload.storageEntry());
            if (size >= 0 && size < reach) {
                throw archive.error(payload.storageEntry(), "holds " + size + " bytes, but " + payload.fqn() + " (a " + describe(payload)
                        + " at storage offset " + payload.meta().storageOffset() + ") reaches byte " + reach);
            }
        }
    }

    /** The tensor as a dense row-major host tensor, copied out of its storage (gathered where it is strided). */
    HostTensor load(Payload payload, ArchiveLimits limits) {
        TensorMeta meta = payload.meta();
        String view = payload.storageEntry() + " " + meta.dtype() + " " + Arrays.toString(meta.sizes()) + " "
                + Arrays.toString(meta.strides()) + " " + meta.storageOffset();
        HostTensor shared = loaded.get(view);
        if (shared == null) {
            shared = copyOut(payload, limits);
            loaded.put(view, shared);
        }
        return shared;
    }

    private HostTensor copyOut(Payload payload, ArchiveLimits limits) {
        byte[] storage = storages.get(payload.storageEntry());
        if (storage == null) {
            storage = archive.read(payload.storageEntry(), limits.maxEntryBytes());
            storages.put(payload.storageEntry(), storage);
        }
        TensorMeta meta = payload.meta();
        long reach = meta.storageBytesNeeded(payload.fqn());
        if (storage.length < reach) {
            throw archive.error(payload.storageEntry(), "holds " + storage.length + " bytes, but " + payload.fqn() + " reaches byte " + reach);
        }
        TensorType type = meta.type();
        HostTensor tensor = HostTensor.allocate(type);
        ByteBuffer out = tensor.data();
        int elementSize = meta.dtype().byteSize();
        if (meta.isContiguous()) {
            out.put(storage, Math.toIntExact(meta.storageOffset() * elementSize), Math.toIntExact(type.byteSize()));
        } else {
            gather(storage, meta, out, elementSize);
        }
        return tensor;
    }

    /** Copies a strided view into row-major order, one innermost row at a time. */
    private static void gather(byte[] storage, TensorMeta meta, ByteBuffer out, int elementSize) {
        long[] sizes = meta.sizes();
        long[] strides = meta.strides();
        int rank = sizes.length;
        if (meta.elementCount("") == 0) {
            return;
        }
        long[] index = new long[rank];
        long innerSize = rank == 0 ? 1 : sizes[rank - 1];
        long innerStride = rank == 0 ? 0 : strides[rank - 1];
        while (true) {
            long base = meta.storageOffset();
            for (int d = 0; d < rank - 1; d++) {
                base += index[d] * strides[d];
            }
            if (innerStride == 1) {
                out.put(storage, Math.toIntExact(base * elementSize), Math.toIntExact(innerSize * elementSize));
            } else {
                for (long i = 0; i < innerSize; i++) {
                    out.put(storage, Math.toIntExact((base + i * innerStride) * elementSize), elementSize);
                }
            }
            int d = rank - 2;
            while (d >= 0 && ++index[d] == sizes[d]) {
                index[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
        }
    }

    private static String describe(Payload payload) {
        return payload.meta().type().toString();
    }
}
