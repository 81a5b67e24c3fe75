package io.torchtpu.backend.cpu;

import io.torchtpu.api.Backend;
import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.Runtime;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * An XLA CPU backend: one PJRT client on the CPU plugin. The component classes below publish it; a
 * changed configuration re-creates the component, and with it the client.
 */
public class CpuBackend implements Backend {
    static final String PID = "io.torchtpu.backend.cpu";
    static final String FACTORY_PID = "io.torchtpu.backend.cpu.instance";
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);

    @ObjectClassDefinition(name = "TorchTPU CPU backend", description = "A Backend on the XLA CPU PJRT plugin.")
    public @interface Config {
        @AttributeDefinition(description = "The backend's id, the torchtpu.backend service property.")
        String torchtpu_backend() default "cpu";

        @AttributeDefinition(description = "Path of the PJRT plugin (.so); empty for the one fetch-pjrt-cpu.sh installed.")
        String plugin() default "";

        @AttributeDefinition(description = "How many CPU devices the client exposes (the plugin's cpu_device_count option).")
        int deviceCount() default 1;

        @AttributeDefinition(description = "More client options, each NAME=VALUE; whole numbers and true/false are typed. "
                + "asynchronous=true runs programs on the plugin's own threads (the default here is false).")
        String[] clientOptions() default {};

        @AttributeDefinition(description = "Compile each program with matrix products or convolutions twice, with and without "
                + "XLA's YNNPACK kernels, and a third time with its convolutions run by oneDNN where it has any, and keep the "
                + "fastest (measured on zero-filled arguments at compile time).")
        boolean tuneKernelLibrary() default true;

        @AttributeDefinition(description = "Path of oneDNN's libdnnl.so.3, whose convolutions the kernel library tuning also "
                + "tries; empty for the one fetch-onednn.sh installed beside the default plugin, none for XLA's kernels only.")
        String oneDnn() default "";

        @AttributeDefinition(description = "With the kernel library tuning, also try the fastest compile of each program on a "
                + "second client whose thread pool has one thread fewer than the CPUs, so that the calling thread, which runs "
                + "the program's serial steps, has a core of its own, and keep it where it runs faster (batch-1 programs, "
                + "mostly). Off where there is one CPU, where PJRT_NPROC or NPROC set the pool's size, or with asynchronous=true.")
        boolean tunePoolSize() default true;
    }

    /** XLA's CPU client takes its thread pool's size from this variable, read when the client is created. */
    static final String POOL_SIZE_VARIABLE = "PJRT_NPROC";

    private final String id;
    private final PjrtPlugin plugin;
    private final PjrtRuntime runtime;
    /** A second client whose pool is one thread smaller, sharing the first's buffers; null when not tuned. */
    private final PjrtRuntime smallerPool;
    private final Runtime served;
    /** For the description: oneDNN's version, or why there is none. */
    private final String kernels;

    CpuBackend(Config config) {
        if (config.deviceCount() < 1) {
            throw new IllegalArgumentException(PID + ": deviceCount must be at least 1, not " + config.deviceCount());
        }
        this.id = config.torchtpu_backend();
        this.plugin = config.plugin().isBlank() ? PjrtPlugin.loadDefaultCpu() : PjrtPlugin.load(Path.of(config.plugin()));
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("cpu_device_count", (long) config.deviceCount());
        // run programs on the calling thread: the hand-off to the plugin's workers cost small models 2-4x their
        // run time on 2 cores (torchtpu bench); clientOptions asynchronous=true brings the hand-off back
        options.put("asynchronous", false);
        for (String option : config.clientOptions()) {
            int equals = option.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException(PID + ": client option '" + option + "' is not NAME=VALUE");
            }
            options.put(option.substring(0, equals).trim(), typed(option.substring(equals + 1).trim()));
        }
        PjrtClient client = plugin.initialize().createClient(options);
        this.runtime = new PjrtRuntime(client);
        OneDnnConvolutions oneDnn = !config.tuneKernelLibrary() || config.oneDnn().equals("none") ? null
                : OneDnnConvolutions.register(plugin, config.oneDnn().isBlank() ? null : Path.of(config.oneDnn()), id).orElse(null);
        this.kernels = oneDnn != null ? "oneDNN " + oneDnn.version() + " for convolutions and linear layers"
                : !config.tuneKernelLibrary() ? "XLA's default kernels" : "XLA's kernels only (no oneDNN)";
        int smallerPoolThreads = java.lang.Runtime.getRuntime().availableProcessors() - 1;
        boolean poolSizeSet = isSet(PjrtPlugin.environmentInEffect(POOL_SIZE_VARIABLE)) || isSet(PjrtPlugin.environmentInEffect("NPROC"));
        if (config.tuneKernelLibrary() && config.tunePoolSize() && smallerPoolThreads >= 1 && !poolSizeSet
                && !Boolean.TRUE.equals(options.get("asynchronous"))) {
            PjrtClient smaller = plugin.createClient(options, Map.of(POOL_SIZE_VARIABLE, String.valueOf(smallerPoolThreads)));
            this.smallerPool = PjrtRuntime.sharingBuffersOf(runtime, smaller);
        } else {
            this.smallerPool = null;
        }
        this.served = !config.tuneKernelLibrary() ? runtime
                : new KernelLibraryTuning(runtime, id, oneDnn, smallerPool, smallerPool == null ? 0 : smallerPoolThreads);
        LOG.info("backend {}: {} {} with {} device(s) from {}{}", id, client.platformName(), client.platformVersion(),
                client.addressableDevices().size(), plugin.path(),
                smallerPool == null ? "" : "; programs may run on a second client with a pool of " + smallerPoolThreads + " thread(s)");
    }

    private static boolean isSet(String variable) {
        return variable != null && !variable.isBlank();
    }

    private static Object typed(String value) {
        if (value.equals("true") || value.equals("false")) {
            return Boolean.parseBoolean(value);
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return value;
        }
    }

    void close() {
        // the smaller pool's client first: its buffers alias the memory of the other's
        if (smallerPool != null) {
            smallerPool.close();
        }
        runtime.close();
        LOG.info("backend {} closed", id);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String description() {
        return "XLA CPU, PJRT C API " + plugin.apiVersion() + ", " + runtime.devices().size() + " device(s), " + kernels + ", plugin "
                + plugin.path();
    }

    @Override
    public Runtime runtime() {
        if (runtime.client().isClosed()) {
            throw new BackendUnavailableException("backend " + id + " has been closed: its configuration changed or its bundle stopped");
        }
        return served;
    }

    /**
     * The default backend, {@code torchtpu.backend=cpu}, on the plugin that
     * {@code runtime-launcher/scripts/fetch-pjrt-cpu.sh} installed; the pid {@value #PID} configures it.
     * Immediate: the client starts with the bundle, not on first use, and stays up while no one holds the service.
     */
    @Component(service = Backend.class, immediate = true, configurationPid = PID,
            configurationPolicy = ConfigurationPolicy.OPTIONAL)
    @Designate(ocd = Config.class)
    public static final class Default extends CpuBackend {
        @Activate
        public Default(Config config) {
            super(config);
        }

        @Deactivate
        void deactivate() {
            close();
        }
    }

    /**
     * More CPU backends, one per factory configuration {@code io.torchtpu.backend.cpu.instance~NAME},
     * each with its own id, plugin and options.
     */
    @Component(service = Backend.class, immediate = true, configurationPid = FACTORY_PID,
            configurationPolicy = ConfigurationPolicy.REQUIRE)
    @Designate(ocd = Config.class, factory = true)
    public static final class Configured extends CpuBackend {
        @Activate
        public Configured(Config config) {
            super(config);
        }

        @Deactivate
        void deactivate() {
            close();
        }
    }
}
