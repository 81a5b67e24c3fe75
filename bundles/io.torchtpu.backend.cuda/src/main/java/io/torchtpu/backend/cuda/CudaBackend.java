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
import java.util.Optional;
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
    /** The driver's library, which the plugin opens first; it comes with the NVIDIA driver. */
    static final String DRIVER_LIBRARY = "libcuda.so.1";
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

    /** The GPUs and the driver's library this machine has: what the plugin needs besides the wheels' libraries. */
    record Machine(List<String> gpus, List<Path> driverDirectories) {
        /** Where the dynamic linker finds libcuda.so.1: LD_LIBRARY_PATH, then the usual driver folders. */
        static Machine probe() {
            List<String> gpus = new ArrayList<>();
            try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
                dev.map(Path::toString).filter(f -> f.matches("/dev/nvidia[0-9]+")).sorted().forEach(gpus::add);
            } catch (IOException | RuntimeException e) {
                // no /dev: nothing found
            }
            List<Path> dirs = new ArrayList<>();
            String ldPath = System.getenv("LD_LIBRARY_PATH");
            if (ldPath != null) {
                Stream.of(ldPath.split(":")).filter(d -> !d.isBlank()).map(Path::of).forEach(dirs::add);
            }
            Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib")
                    .map(Path::of).forEach(dirs::add);
            return new Machine(gpus, dirs);
        }

        Optional<Path> driver() {
            return driverDirectories.stream().map(d -> d.resolve(DRIVER_LIBRARY)).filter(Files::exists).findFirst();
        }
    }

    static String diagnose(Path plugin, String pluginSaid, String alternative) {
        return diagnose(plugin, pluginSaid, alternative, Machine.probe());
    }

    /**
     * What was looked for, what was found, and every missing piece with what provides it: a GPU, the driver's
     * libcuda.so.1 (from the NVIDIA driver, never a wheel), and each runtime library with the pip wheel it comes from.
     */
    static String diagnose(Path plugin, String pluginSaid, String alternative, Machine machine) {
        Path real;
        try {
            real = plugin.toRealPath();
        } catch (IOException e) {
            real = plugin.toAbsolutePath();
        }
        // the plugin's RPATH is $ORIGIN/../nvidia/<wheel folder>/lib: fetch-pjrt-cuda.sh installs the wheels there
        Path nvidia = real.getParent().resolveSibling("nvidia");
        List<String> missingLibraries = new ArrayList<>();
        new java.util.TreeMap<>(RUNTIME_LIBRARIES).forEach((folder, lib) -> {
            if (!Files.exists(nvidia.resolve(folder).resolve("lib").resolve(lib))) {
                missingLibraries.add(lib + " (wheel nvidia-" + folder.replace('_', '-') + "-cu12)");
            }
        });
        Optional<Path> driver = machine.driver();
        List<String> missing = new ArrayList<>();
        if (machine.gpus().isEmpty()) {
            missing.add("an NVIDIA GPU (no /dev/nvidia0 or later; in a container, pass the GPU through)");
        }
        if (driver.isEmpty()) {
            missing.add("the driver's " + DRIVER_LIBRARY + " (looked in " + machine.driverDirectories().stream().map(Path::toString)
                    .collect(java.util.stream.Collectors.joining(", ")) + "): install the NVIDIA driver, 525 or newer for CUDA 12;"
                    + " no wheel provides it");
        }
        if (!missingLibraries.isEmpty()) {
            missing.add("the runtime libraries " + String.join(", ", missingLibraries) + " under " + nvidia
                    + ": install those wheels there (" + FETCH_SCRIPT + " installs them all)");
        }
        return "no usable NVIDIA GPU: looked for /dev/nvidia[0-9]* and found " + (machine.gpus().isEmpty() ? "none"
                : String.join(", ", machine.gpus())) + ", for the driver " + DRIVER_LIBRARY + " and found "
                + driver.map(Path::toString).orElse("none") + ", for the runtime libraries under " + nvidia + " and found "
                + (missingLibraries.isEmpty() ? "all" : (RUNTIME_LIBRARIES.size() - missingLibraries.size()) + " of "
                + RUNTIME_LIBRARIES.size()) + "; the plugin " + plugin + " said: " + pluginSaid.strip().replaceFirst("[.]+$", "")
                + ". Missing: " + (missing.isEmpty() ? "nothing found missing: see the plugin's message" : String.join("; ", missing))
                + ". Use the backend " + alternative + " instead";
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
