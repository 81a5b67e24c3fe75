package io.torchtpu.tensorio;

import io.torchtpu.api.HostTensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Named tensors to and from whichever format a file is in: safetensors, .npz or .npy. */
public final class TensorFiles {
    private TensorFiles() {
    }

    public static Map<String, HostTensor> read(Path file) throws IOException {
        return read(file, TensorFileLimits.defaults());
    }

    /** Reads by content: a zip is a .npz, {@code \x93NUMPY} a .npy (one tensor, named after the file), else safetensors. */
    public static Map<String, HostTensor> read(Path file, TensorFileLimits limits) throws IOException {
        byte[] magic;
        try (InputStream in = Files.newInputStream(file)) {
            magic = in.readNBytes(6);
        }
        if (magic.length >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
            return Npz.read(file, limits);
        }
        if (magic.length == 6 && (magic[0] & 0xFF) == 0x93 && magic[1] == 'N' && magic[2] == 'U') {
            Map<String, HostTensor> one = new LinkedHashMap<>();
            String name = file.getFileName().toString();
            one.put(name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name, Npy.read(file, limits));
            return one;
        }
        return Safetensors.read(file, limits);
    }

    /** Writes by the file's extension: {@code .npz}, or safetensors for anything else. */
    public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npz")) {
            Npz.write(file, tensors);
        } else {
            Safetensors.write(file, tensors);
        }
    }
}
