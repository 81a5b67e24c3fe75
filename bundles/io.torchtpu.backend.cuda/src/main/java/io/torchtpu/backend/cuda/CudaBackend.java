package io.torchtpu.backend.cuda;

import io.torchtpu.api.Backend;
import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.Runtime;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NVIDIA GPU backend, {@code torchtpu.backend=cuda}, on the jax-cuda12-pjrt plugin. Without a usable GPU
 * the service still runs and {@link #runtime()} says what was looked for and which piece is missing: the
 * plugin file, the NVIDIA runtime libraries beside it, the driver (libcuda.so.1) or the GPU itself.
 */
@Component(service = Backend.class, immediate = true, configurationPid = CudaBackend.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = Backend.ID_PROPERTY + "=cuda")
@Designate(ocd = CudaBackend.Config.class)
public final class CudaBackend implements Backend {
    static final String PID = "io.torchtpu.backend.cuda";
    static final String PLUGIN_NAME = "plugins/pjrt_cuda.so";
    static final String FETCH_SCRIPT = "runtime-launcher/scripts/fetch-pjrt-cuda.sh";
    /** What the plugin opens at client creation, by the wheel folder it comes from under plugins/nvidia. */
    static final Map<String, String> RUNTIME_LIBRARIES = Map.of("cuda_runtime", "libcudart.so.12", "cublas",
            "libcublas.so.12", "cudnn", "libcudnn.so.9", "cufft", "libcufft.so.11", "cusolver", "libcusolver.so.11",
            "cusparse", "libcusparse.so.12", "nccl", "libnccl.so.2");
    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

    @ObjectClassDefinition(name = "TorchTPU CUDA backend", description = "A Backend on NVIDIA GPUs through jax-cuda12-pjrt.")
    public @interface Config {
        @AttributeDefinition(description = "Path of the CUDA PJRT plugin; empty for the one fetch-pjrt-cuda.sh installed.")
        String plugin() default "";

        @AttributeDefinition(description = "The backend to name when no GPU can be used.")
        String alternative() default "cpu";
    }

    private volatile PjrtPlugin plugin;
    private volatile PjrtRuntime runtime;
    private volatile String unavailable;

    static Path defaultPath() {
        String cache = System.getenv("TORCHTPU_CACHE");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "torchtpu");
        return base.resolve(PLUGIN_NAME);
    }

    @Activate
    void activate(Config config) {
        Path path = config.plugin().isBlank() ? defaultPath() : Path.of(config.plugin());
        if (!Files.isRegularFile(path)) {
            unavailable = "no CUDA PJRT plugin at " + path.toAbsolutePath() + ": run " + FETCH_SCRIPT
                    + " (jax-cuda12-pjrt and the NVIDIA runtime wheels); use the backend " + config.alternative() + " instead";
            LOG.warn("backend cuda: {}", unavailable);
            return;
        }
        try {
            plugin = PjrtPlugin.load(path);
            PjrtClient client = plugin.initialize().createClient(Map.of());
            runtime = new PjrtRuntime(client);
            LOG.info("backend cuda: {} with {} device(s)", client.platformVersion(), client.addressableDevices().size());
        } catch (RuntimeException e) {
            unavailable = diagnose(path, e.getMessage(), config.alternative());
            LOG.warn("backend cuda: {}", unavailable);
        }
    }

    /** What was looked for, what was found, and the missing piece. */
    static String diagnose(Path plugin, String pluginSaid, String alternative) {
        List<String> gpus = new ArrayList<>();
        try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
            dev.map(Path::toString).filter(f -> f.matches("/dev/nvidia[0-9]+")).sorted().forEach(gpus::add);
        } catch (IOException | RuntimeException e) {
            // no /dev: nothing found
        }
        boolean driver = Stream.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/lib/libcuda.so.1")
                .anyMatch(p -> Files.exists(Path.of(p)));
        Path real;
        try {
            real = plugin.toRealPath();
        } catch (IOException e) {
            real = plugin;
        }
        Path nvidia = real.getParent().resolveSibling("nvidia");
        List<String> missing = new ArrayList<>();
        RUNTIME_LIBRARIES.forEach((wheel, lib) -> {
            if (!Files.exists(nvidia.resolve(wheel).resolve("lib").resolve(lib))) {
                missing.add(lib);
            }
        });
        java.util.Collections.sort(missing);
        String piece = gpus.isEmpty() ? "an NVIDIA GPU (no /dev/nvidia0 or later)"
                : !driver ? "the NVIDIA driver (libcuda.so.1)"
                : !missing.isEmpty() ? "the NVIDIA runtime libraries " + missing + " under " + nvidia + " (run " + FETCH_SCRIPT + ")"
                : "nothing found missing: see the plugin's message";
        return "no usable NVIDIA GPU: looked for /dev/nvidia[0-9]* and found " + (gpus.isEmpty() ? "none" : String.join(", ", gpus))
                + ", for the driver libcuda.so.1 and found " + (driver ? "it" : "none") + ", for the runtime libraries under "
                + nvidia + " and " + (missing.isEmpty() ? "found all" : "miss " + missing) + "; the plugin " + plugin
                + " said: " + pluginSaid.strip().replaceFirst("[.]+$", "") + ". Missing: " + piece + ". Use the backend "
                + alternative + " instead";
    }

    @Deactivate
    void deactivate() {
        PjrtRuntime r = runtime;
        runtime = null;
        if (r != null) {
            r.close();
        }
    }

    @Override
    public String id() {
        return "cuda";
    }

    @Override
    public String description() {
        PjrtRuntime r = runtime;
        if (r != null) {
            return "NVIDIA GPU, " + r.platformVersion() + ", " + r.devices().size() + " device(s), PJRT C API " + plugin.apiVersion();
        }
        return "NVIDIA GPU; unavailable: " + unavailable;
    }

    @Override
    public Runtime runtime() {
        PjrtRuntime r = runtime;
        if (r == null) {
            throw new BackendUnavailableException("backend cuda: " + unavailable);
        }
        return r;
    }
}
