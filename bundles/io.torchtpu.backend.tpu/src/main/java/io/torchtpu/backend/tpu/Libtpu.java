package io.torchtpu.backend.tpu;

import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtPluginLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Finds and loads libtpu, keeping it off the network; says what TPU hardware this machine has. */
public final class Libtpu {
    /** Where fetch-libtpu.sh links the pinned libtpu, relative to the TorchTPU cache. */
    public static final String PLUGIN_NAME = "plugins/libtpu.so";
    public static final String FETCH_SCRIPT = "runtime-launcher/scripts/fetch-libtpu.sh";
    /** The libtpu release FETCH_SCRIPT pins (change it with the script's pin). */
    public static final String PINNED = "libtpu 0.0.52 (PJRT C API 0.117)";

    private Libtpu() {
    }

    /** {@code $TORCHTPU_CACHE/plugins/libtpu.so}, else {@code ~/.cache/torchtpu/plugins/libtpu.so}. */
    public static Path defaultPath() {
        String cache = System.getenv("TORCHTPU_CACHE");
        Path base = cache != null && !cache.isBlank()
                ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "torchtpu");
        return base.resolve(PLUGIN_NAME);
    }

    /**
     * The variables that keep libtpu on this machine: without them it asks the cloud metadata server
     * (169.254.169.254) for the slice's shape and workers, and waits on it where there is none. A
     * variable already set wins, so a multi-host slice configured by its operator keeps its settings.
     */
    public static Map<String, String> offlineEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TPU_SKIP_MDS_QUERY", "1");
        env.put("TPU_WORKER_ID", "0");
        env.put("TPU_WORKER_HOSTNAMES", "localhost");
        return env;
    }

    /**
     * Loads libtpu (once per process) with {@link #offlineEnvironment()} unless {@code useMetadataServer}.
     *
     * @param configured a plugin path, or blank for {@link #defaultPath()}
     * @throws PjrtPluginLoadException naming the fetch script when the file is missing
     */
    public static PjrtPlugin load(String configured, boolean useMetadataServer) {
        Path path = configured == null || configured.isBlank() ? defaultPath() : Path.of(configured);
        if (!Files.isRegularFile(path)) {
            throw new PjrtPluginLoadException("no libtpu at " + path.toAbsolutePath() + ": run " + FETCH_SCRIPT
                    + " (it installs the pinned libtpu wheel's libtpu.so there), or set the plugin of the pid "
                    + TpuBackend.PID);
        }
        return useMetadataServer ? PjrtPlugin.load(path) : PjrtPlugin.load(path, offlineEnvironment());
    }

    /** The TPU device files present (/dev/accel* on v4 and later, /dev/vfio/* on v5e and later): what libtpu opens. */
    public static List<String> deviceFiles() {
        List<String> found = new java.util.ArrayList<>();
        for (String dir : List.of("/dev", "/dev/vfio")) {
            try (Stream<Path> files = Files.list(Path.of(dir))) {
                files.map(Path::toString)
                        .filter(f -> f.startsWith("/dev/accel") || (f.startsWith("/dev/vfio/") && !f.equals("/dev/vfio/vfio")))
                        .sorted().forEach(found::add);
            } catch (IOException | RuntimeException e) {
                // no such folder: nothing there
            }
        }
        return found;
    }
}
