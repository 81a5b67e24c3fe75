package io.torchtpu.engine;

import io.torchtpu.api.Backend;
import io.torchtpu.api.BackendUnavailableException;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.Tracer;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.api.lowering.LoweringChangeListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 * The TorchTpu service. Tracers, backends and the lowerer are tracked dynamically: a model loaded on a
 * backend that runs but cannot be used, and a backend that goes away, take their models to the fallback
 * backend (or fail with a clear error), and a lowering that changes makes the models that used its ops
 * recompile on their next request.
 */
@Component(service = {TorchTpu.class, LoweringChangeListener.class}, immediate = true, configurationPid = EngineComponent.PID)
@Designate(ocd = EngineComponent.Config.class)
public final class EngineComponent implements TorchTpu, LoweringChangeListener, Engine {
    static final String PID = "io.torchtpu.engine";
    private static final Logger LOG = LoggerFactory.getLogger(EngineComponent.class);

    @ObjectClassDefinition(name = "TorchTPU engine")
    public @interface Config {
        @AttributeDefinition(description = "Where models go when their backend goes away, or when the backend a model is"
                + " loaded on runs but cannot be used (a TPU backend without chips); empty for nowhere (their requests,"
                + " or the load, then fail).")
        String fallbackBackend() default "cpu";

        @AttributeDefinition(description = "Threads for runAsync and swaps; 0 for one per core.")
        int threads() default 0;

        @AttributeDefinition(description = "How long a retiring backend waits for its requests in flight, in milliseconds.")
        long drainTimeoutMillis() default 30_000;

        @AttributeDefinition(description = "Folder of the compile cache; empty for $TORCHTPU_CACHE/executables "
                + "(~/.cache/torchtpu/executables), 'none' to compile every time.")
        String cacheDirectory() default "";

        @AttributeDefinition(description = "Options every compile gets, NAME=VALUE: XLA debug options such as "
                + "xla_cpu_multi_thread_eigen=false (true/false are booleans, whole numbers integers, the rest strings), "
                + "num_replicas, num_partitions. Part of the compile cache's key.")
        String[] compileOptions() default {};
    }

    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final List<Tracer> tracers = new CopyOnWriteArrayList<>();
    private final Map<String, ServingModel> models = new ConcurrentHashMap<>();
    private volatile Lowerer lowerer;
    // bumped whenever a lowering changes: programs lowered before it are not shared any more
    private final java.util.concurrent.atomic.AtomicLong loweringGeneration = new java.util.concurrent.atomic.AtomicLong();
    private final Map<ProgramKey, SharedProgram> programs = new HashMap<>();
    private final Map<String, Graph> graphs = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Graph> eldest) {
            return size() > GRAPH_CACHE_SIZE;
        }
    };
    private static final int GRAPH_CACHE_SIZE = 16;

    /** One graph on one runtime, lowered with the lowerings of one generation. */
    private record ProgramKey(Graph graph, String backend, Runtime runtime, long loweringGeneration) {
        @Override
        public boolean equals(Object other) {
            return other instanceof ProgramKey that && graph == that.graph && runtime == that.runtime
                    && backend.equals(that.backend) && loweringGeneration == that.loweringGeneration;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(graph) * 31 + System.identityHashCode(runtime);
        }
    }
    private volatile Config config;
    private ExecutorService executor;
    private ExecutableCache cache;
    private Map<String, Object> compileOptions = Map.of();

    @Activate
    void activate(Config config) {
        this.config = config;
        this.compileOptions = parseCompileOptions(config.compileOptions());
        this.cache = cacheFor(config.cacheDirectory());
        int threads = config.threads() > 0 ? config.threads() : java.lang.Runtime.getRuntime().availableProcessors();
        AtomicInteger counter = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "torchtpu-engine-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** NAME=VALUE lines as typed compile options, in a stable order (they are part of the cache key). */
    static Map<String, Object> parseCompileOptions(String[] lines) {
        Map<String, Object> options = new java.util.TreeMap<>();
        for (String line : lines == null ? new String[0] : lines) {
            int equals = line.indexOf('=');
            if (line.isBlank()) {
                continue;
            }
            if (equals <= 0) {
                throw new IllegalArgumentException("compile option '" + line + "' is not NAME=VALUE");
            }
            String value = line.substring(equals + 1).trim();
            Object typed = value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false") ? (Object) Boolean.valueOf(value)
                    : value.matches("-?\\d+") ? (Object) Long.valueOf(value) : value;
            options.put(line.substring(0, equals).trim(), typed);
        }
        return java.util.Collections.unmodifiableMap(options);
    }

    private static ExecutableCache cacheFor(String configured) {
        if (configured.equals("none")) {
            return null;
        }
        if (!configured.isBlank()) {
            return new ExecutableCache(Path.of(configured));
        }
        String root = System.getenv("TORCHTPU_CACHE");
        Path base = root == null || root.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "torchtpu") : Path.of(root);
        return new ExecutableCache(base.resolve("executables"));
    }

    @Deactivate
    void deactivate() {
        models.values().forEach(model -> model.close("was stopped with the engine"));
        models.clear();
        executor.shutdownNow();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addBackend(Backend backend) {
        backends.put(backend.id(), backend);
    }

    void removeBackend(Backend backend) {
        if (!backends.remove(backend.id(), backend)) {
            return;
        }
        for (ServingModel model : models.values()) {
            if (model.deployment().backend().equals(backend.id())) {
                moveOff(model, backend.id());
            }
        }
    }

    /** Moves a model off a backend that is going away, and waits for its requests there to finish. */
    private void moveOff(ServingModel model, String leaving) {
        String fallback = config.fallbackBackend();
        Deployment old = model.deployment();
        if (!fallback.isBlank() && !fallback.equals(leaving) && backends.containsKey(fallback)) {
            try {
                LOG.info("backend {} is going away: moving model {} to {}", leaving, model.name(), fallback);
                move(model, fallback);
            } catch (RuntimeException e) {
                LOG.warn("model {} could not move to the fallback backend {}: {}", model.name(), fallback, e.getMessage());
                model.orphan(leaving, "its backend " + leaving + " went away and the fallback " + fallback + " failed: " + e.getMessage());
                old.retire();
            }
        } else {
            LOG.warn("backend {} is going away and no fallback backend runs: model {} fails until it is swapped", leaving, model.name());
            model.orphan(leaving, "its backend " + leaving + " went away and no fallback backend runs"
                    + (fallback.isBlank() ? "" : " (" + fallback + " is configured)"));
            old.retire();
        }
        try {
            if (!old.awaitDrained(config.drainTimeoutMillis())) {
                LOG.warn("requests of model {} still in flight on {} after {} ms", model.name(), leaving, config.drainTimeoutMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addTracer(Tracer tracer) {
        tracers.add(tracer);
    }

    void removeTracer(Tracer tracer) {
        tracers.remove(tracer);
    }

    // optional: models keep serving their compiled programs while the lowering registry restarts
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setLowerer(Lowerer lowerer) {
        this.lowerer = lowerer;
    }

    void unsetLowerer(Lowerer lowerer) {
        if (this.lowerer == lowerer) {
            this.lowerer = null;
        }
    }

    @Override
    public Model load(String name, Path file, String backend, TraceOptions options) {
        if (!Files.isRegularFile(file)) {
            throw new TraceException(file + ": no such file");
        }
        Graph graph = graph(name, file, options);
        ServingModel model = new ServingModel(name, file, graph, backend, deployOrFallBack(name, graph, backend), this);
        ServingModel replaced = models.put(name, model);
        if (replaced != null) {
            replaced.close("was replaced by a new load under the same name");
        }
        return model;
    }

    /** The file's graph: from the cache when the same file (path, size, time) was read with the same options. */
    private Graph graph(String name, Path file, TraceOptions options) {
        String key;
        try {
            Path absolute = file.toAbsolutePath().normalize();
            key = absolute + "|" + Files.size(absolute) + "|" + Files.getLastModifiedTime(absolute).toMillis() + "|" + options;
        } catch (java.io.IOException e) {
            throw new TraceException(file + ": cannot read it: " + e.getMessage(), e);
        }
        synchronized (graphs) {
            Graph cached = graphs.get(key);
            if (cached != null) {
                return cached;
            }
        }
        Tracer tracer = tracerFor(file);
        long start = System.nanoTime();
        Graph graph = tracer.trace(file, options);
        LOG.info("model {}: read {} with the {} tracer in {} ms ({} nodes)", name, file, tracer.format(),
                (System.nanoTime() - start) / 1_000_000, graph.nodes().size());
        synchronized (graphs) {
            graphs.put(key, graph);
        }
        return graph;
    }

    private Tracer tracerFor(Path file) {
        for (Tracer tracer : tracers) {
            if (tracer.accepts(file)) {
                return tracer;
            }
        }
        List<String> formats = tracers.stream().map(Tracer::format).toList();
        throw new TraceException(file + ": no tracer reads this file; the running tracers read "
                + (formats.isEmpty() ? "nothing (add the torchscript or pt2 feature)" : String.join(", ", formats)));
    }

    /**
     * Deploys on the requested backend or, when that backend runs but cannot be used (a TPU backend without
     * chips), on the fallback backend, with a warning. A backend id that no backend has is no reason to fall
     * back: a misspelt id fails rather than quietly running elsewhere.
     */
    private Deployment deployOrFallBack(String name, Graph graph, String requested) {
        try {
            return deploy(name, graph, requested);
        } catch (BackendUnavailableException e) {
            if (!backends.containsKey(requested)) {
                throw e;
            }
            String fallback = config.fallbackBackend().strip();
            String none = fallback.isEmpty() ? "no fallback backend is configured (fallbackBackend of " + PID + " is empty)"
                    : fallback.equals(requested) ? "the fallback backend is " + requested + " itself"
                    : !backends.containsKey(fallback) ? "the fallback backend " + fallback + " is not running"
                    : null;
            if (none != null) {
                throw new BackendUnavailableException("model " + name + " cannot load: " + e.getMessage() + "; " + none, e);
            }
            LOG.warn("model {}: the requested backend {} cannot run, so it loads on the fallback backend {}. Why: {}", name,
                    requested, fallback, e.getMessage());
            try {
                return deploy(name, graph, fallback);
            } catch (BackendUnavailableException f) {
                throw new BackendUnavailableException("model " + name + " cannot load: " + e.getMessage()
                        + "; the fallback backend " + fallback + " cannot run either: " + f.getMessage(), f);
            }
        }
    }

    /** Lowers the graph for a backend, compiles it there and uploads its weights. */
    private Deployment deploy(String name, Graph graph, String backendId) {
        Backend backend = backends.get(backendId);
        if (backend == null) {
            throw new BackendUnavailableException("no backend '" + backendId + "': the running backends are "
                    + (backends.isEmpty() ? "none (add the cpu feature)" : String.join(", ", new java.util.TreeSet<>(backends.keySet()))));
        }
        Lowerer current = lowerer;
        if (current == null) {
            throw new IllegalStateException("no lowering registry runs: add the lowering feature");
        }
        Runtime runtime = backend.runtime();
        ProgramKey key = new ProgramKey(graph, backendId, runtime, loweringGeneration.get());
        synchronized (programs) {
            SharedProgram shared = programs.get(key);
            if (shared != null && shared.retain()) {
                LOG.info("model {} on {}: the same program is loaded already, shared", name, backendId);
                return new Deployment(backendId, shared, true);
            }
        }
        long start = System.nanoTime();
        Graph prepared = current.prepare(graph, backendId);
        LoweredModule lowered = current.lower(prepared, backendId);
        long lowered_ns = System.nanoTime();
        Map<String, Object> options = compileOptions;
        String cacheKey = ExecutableCache.key(lowered.fingerprint(), runtime.identity(), new java.util.TreeMap<>(lowered.providers()).toString(),
                options.toString());
        Executable executable = cache == null ? null : cache.get(cacheKey).map(bytes -> loadCached(runtime, bytes, name)).orElse(null);
        boolean fromCache = executable != null;
        if (executable == null) {
            executable = runtime.compile(lowered.text(), options);
            if (cache != null) {
                try {
                    cache.put(cacheKey, executable.serialize());
                } catch (RuntimeException e) {
                    LOG.warn("model {}: the executable could not be serialized for the cache: {}", name, e.getMessage());
                }
            }
        }
        List<DeviceBuffer> parameters = new ArrayList<>();
        try {
            Map<Value, HostTensor> data = new HashMap<>();
            prepared.constants().forEach(constant -> data.put(constant.value(), constant.data()));
            for (Value argument : lowered.arguments().subList(graph.inputs().size(), lowered.arguments().size())) {
                HostTensor tensor = data.get(argument);
                if (tensor == null) {
                    throw new IllegalStateException("model " + name + ": the program's argument " + argument + " has no data");
                }
                parameters.add(runtime.upload(tensor));
            }
        } catch (RuntimeException e) {
            parameters.forEach(DeviceBuffer::close);
            executable.close();
            throw e;
        }
        LOG.info("model {} on {}: lowered in {} ms, {} in {} ms, {} weight tensors on the device", name, backendId,
                (lowered_ns - start) / 1_000_000, fromCache ? "loaded from the compile cache" : "compiled",
                (System.nanoTime() - lowered_ns) / 1_000_000, parameters.size());
        SharedProgram program = new SharedProgram(lowered, executable, parameters, closed -> {
            synchronized (programs) {
                programs.remove(key, closed);
            }
        });
        program.retain();
        synchronized (programs) {
            programs.put(key, program);
        }
        return new Deployment(backendId, program, fromCache);
    }

    /** An executable from the cache, or null when the runtime refuses it (then the program is compiled). */
    private static Executable loadCached(Runtime runtime, byte[] serialized, String name) {
        try {
            return runtime.deserialize(serialized);
        } catch (RuntimeException e) {
            LOG.warn("model {}: the cached executable did not load ({}); compiling", name, e.getMessage());
            return null;
        }
    }

    @Override
    public void move(ServingModel model, String backend) {
        // compile outside the model's lock, so that close() never waits for a compile
        Deployment next = deploy(model.name(), model.graph(), backend);
        synchronized (model) {
            if (model.isClosed()) {
                next.retire();
                model.checkOpen();
            }
            model.install(next);
        }
    }

    /**
     * Recompiles a stale model. If that fails (say a lowering bundle is between its stop and its start),
     * the model keeps serving with the program it has, which is still correct code, and tries again
     * on a later request, at most once a second.
     */
    @Override
    public void recompile(ServingModel model) {
        synchronized (model) {
            if (!model.isStale() || !model.recompileDue()) {
                return;
            }
            LOG.info("model {}: a lowering it uses changed, recompiling on {}", model.name(), model.backend());
            try {
                model.install(deploy(model.name(), model.graph(), model.backend()));
                model.clearStale();
            } catch (RuntimeException e) {
                model.recompileFailed();
                LOG.warn("model {}: recompiling failed ({}); it keeps serving with its current program and tries again",
                        model.name(), e.getMessage());
            }
        }
    }

    @Override
    public Executor executor() {
        return executor;
    }

    @Override
    public void loweringsChanged(Set<String> ops) {
        loweringGeneration.incrementAndGet();
        for (ServingModel model : models.values()) {
            if (!Collections.disjoint(model.deployment().ops(), ops)) {
                model.markStale();
            }
        }
    }

    @Override
    public Optional<Model> model(String name) {
        return Optional.ofNullable(models.get(name));
    }

    @Override
    public List<Model> models() {
        return List.copyOf(new java.util.TreeMap<>(models).values());
    }

    @Override
    public List<String> cacheEntries() {
        if (cache == null) {
            return List.of("the compile cache is off (cacheDirectory=none)");
        }
        try {
            List<String> lines = new ArrayList<>();
            lines.add("compile cache " + cache.directory());
            lines.addAll(cache.list());
            return lines;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot list the compile cache " + cache.directory() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int clearCache() {
        if (cache == null) {
            return 0;
        }
        try {
            return cache.clear();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot clear the compile cache " + cache.directory() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void unload(String name) {
        ServingModel model = models.remove(name);
        if (model != null) {
            model.close("was unloaded");
        }
    }
}
