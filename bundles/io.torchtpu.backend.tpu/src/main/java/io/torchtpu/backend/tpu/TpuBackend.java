package io.torchtpu.backend.tpu;

import io.torchtpu.api.Backend;
import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.util.Map;
import java.util.Optional;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TPU backend, {@code torchtpu.backend=tpu}: libtpu's client on this machine's chips, described by the
 * generation bundle matching them. Without chips the service still runs, so that operators see why:
 * {@link #runtime()} fails with what was looked for, what was found and which backend to use instead.
 */
@Component(service = {Backend.class, TpuBackend.class}, immediate = true, configurationPid = TpuBackend.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = Backend.ID_PROPERTY + "=tpu")
@Designate(ocd = TpuBackend.Config.class)
public final class TpuBackend implements Backend {
    static final String PID = "io.torchtpu.backend.tpu";
    private static final Logger LOG = LoggerFactory.getLogger(TpuBackend.class);

    @ObjectClassDefinition(name = "TorchTPU TPU backend", description = "A Backend on libtpu's TPU chips.")
    public @interface Config {
        @AttributeDefinition(description = "Path of libtpu.so; empty for the one fetch-libtpu.sh installed.")
        String plugin() default "";

        @AttributeDefinition(description = "Let libtpu ask the cloud metadata server for the slice's shape and"
                + " workers (multi-host TPU VMs); off keeps it off the network (TPU_SKIP_MDS_QUERY=1).")
        boolean metadataServer() default false;

        @AttributeDefinition(description = "The backend to name when no TPU can be used.")
        String alternative() default "cpu";
    }

    private final Generations generations = new Generations();
    private volatile Config config;
    private volatile PjrtPlugin plugin;
    private volatile PjrtRuntime runtime;
    private volatile String unavailable;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addGeneration(TpuGeneration generation, ServiceReference<TpuGeneration> ref) {
        generations.add(generation, properties(ref), ref.getBundle() == null ? "?" : ref.getBundle().getSymbolicName()
                + " " + ref.getBundle().getVersion());
    }

    void removeGeneration(TpuGeneration generation) {
        generations.remove(generation);
    }

    private static Map<String, Object> properties(ServiceReference<?> ref) {
        Map<String, Object> m = new java.util.HashMap<>();
        for (String key : ref.getPropertyKeys()) {
            m.put(key, ref.getProperty(key));
        }
        return m;
    }

    @Activate
    void activate(Config config) {
        this.config = config;
        try {
            plugin = Libtpu.load(config.plugin(), config.metadataServer());
        } catch (RuntimeException e) {
            // a wrong file or an incompatible PJRT version: name the release known to work beside what was found
            unavailable = "libtpu could not be loaded: " + e.getMessage() + "; the pinned " + Libtpu.PINNED + " works ("
                    + Libtpu.FETCH_SCRIPT + " installs it); use the backend " + config.alternative() + " instead";
            LOG.warn("backend tpu: {}", unavailable);
            return;
        }
        try {
            PjrtClient client = plugin.initialize().createClient(Map.of());
            runtime = new PjrtRuntime(client);
            LOG.info("backend tpu: {} with {} device(s), generation {}", client.platformVersion().lines().findFirst().orElse(""),
                    client.addressableDevices().size(), generation().map(TpuGeneration::generation).orElse("unknown"));
        } catch (RuntimeException e) {
            unavailable = noChipsMessage(plugin, e.getMessage(), config.alternative());
            LOG.warn("backend tpu: {}", unavailable);
        }
    }

    static String noChipsMessage(PjrtPlugin plugin, String libtpuSaid, String alternative) {
        java.util.List<String> files = Libtpu.deviceFiles();
        return "no TPU chips to run on: looked for TPU device files (/dev/accel*, /dev/vfio/*) and found "
                + (files.isEmpty() ? "none" : String.join(", ", files)) + "; libtpu " + plugin.path() + " (PJRT C API "
                + plugin.apiVersion() + ") said: " + libtpuSaid.strip().replaceFirst("[.]+$", "") + ". Run on the backend " + alternative
                + " instead (the engine's fallback), or compile ahead of time without chips: torchtpu compile MODEL"
                + " --target tpu-v5e:2x2";
    }

    @Deactivate
    void deactivate() {
        PjrtRuntime r = runtime;
        runtime = null;
        if (r != null) {
            r.close();
        }
    }

    /** The generation whose device kind matches the chips found, if any. */
    Optional<TpuGeneration> generation() {
        PjrtRuntime r = runtime;
        if (r == null || r.devices().isEmpty()) {
            return Optional.empty();
        }
        return generations.byDeviceKind(r.client().addressableDevices().get(0).kind());
    }

    Generations generations() {
        return generations;
    }

    /** The loaded libtpu, or empty with {@link #unavailableReason()} saying why. */
    Optional<PjrtPlugin> plugin() {
        return Optional.ofNullable(plugin);
    }

    Optional<String> unavailableReason() {
        return Optional.ofNullable(unavailable);
    }

    @Override
    public String id() {
        return "tpu";
    }

    @Override
    public String description() {
        PjrtPlugin p = plugin;
        String lib = p == null ? "libtpu not loaded" : "libtpu " + p.path() + ", PJRT C API " + p.apiVersion();
        if (runtime != null) {
            return "TPU " + generation().map(TpuGeneration::toString).orElse("(no generation bundle matches "
                    + runtime.client().addressableDevices().get(0).kind() + ")") + ", " + runtime.devices().size()
                    + " device(s), " + lib;
        }
        return lib + "; unavailable: " + unavailable;
    }

    @Override
    public Runtime runtime() {
        PjrtRuntime r = runtime;
        if (r == null) {
            throw new BackendUnavailableException("backend tpu: " + unavailable);
        }
        if (r.client().isClosed()) {
            throw new BackendUnavailableException("backend tpu has been closed: its configuration changed or its bundle stopped");
        }
        return r;
    }
}
