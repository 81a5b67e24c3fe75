package io.torchtpu.engine;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.ModelStats;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A named model and the deployment that serves it now. A swap or a recompile installs a new deployment
 * atomically; requests hold the deployment they started on until they finish.
 */
final class ServingModel implements Model {
    private final String name;
    private final Path source;
    private final Graph graph;
    private final Engine engine;
    private final AtomicReference<Deployment> current;
    private final List<TensorType> inputTypes;
    private final List<TensorType> outputTypes;
    private final LatencyRecorder latencies = new LatencyRecorder();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    final AtomicLong compiles = new AtomicLong();
    final AtomicLong cacheHits = new AtomicLong();
    // set when a lowering this model used changed: the next request recompiles first
    private volatile boolean stale;
    // set when the model's backend went away and no fallback took it: why its requests fail
    private volatile String orphanedBecause;
    // the backend asked for at load or by the last swap; the deployment's differs while the fallback serves
    private volatile String requestedBackend;

    ServingModel(String name, Path source, Graph graph, String requestedBackend, Deployment deployment, Engine engine) {
        this.name = name;
        this.source = source;
        this.graph = graph;
        this.requestedBackend = requestedBackend;
        this.engine = engine;
        this.current = new AtomicReference<>(deployment);
        this.inputTypes = graph.inputs().stream().map(Value::type).toList();
        this.outputTypes = graph.outputs().stream().map(Value::type).toList();
        counted(deployment);
    }

    Graph graph() {
        return graph;
    }

    Deployment deployment() {
        return current.get();
    }

    void markStale() {
        stale = true;
    }

    boolean isStale() {
        return stale;
    }

    void orphan(String backend, String reason) {
        orphanedBecause = reason;
    }

    // set when the model stops serving for good (unloaded, replaced, the engine stopped)
    private volatile String closedBecause;

    /** Stops serving: later requests fail with the reason; requests in flight finish. */
    synchronized void close(String reason) {
        closedBecause = reason;
        current.get().retire();
    }

    boolean isClosed() {
        return closedBecause != null;
    }

    void checkOpen() {
        String closed = closedBecause;
        if (closed != null) {
            throw new IllegalStateException("model " + name + " " + closed + ": load it again to use it");
        }
    }

    private void counted(Deployment deployment) {
        compiles.incrementAndGet();
        if (deployment.fromCache()) {
            cacheHits.incrementAndGet();
        }
    }

    /** Installs a deployment and retires the one it replaces (which closes when its requests are done). */
    Deployment install(Deployment next) {
        counted(next);
        orphanedBecause = null;
        Deployment previous = current.getAndSet(next);
        if (previous != null && previous != next) {
            previous.retire();
        }
        return previous;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Path source() {
        return source;
    }

    @Override
    public String backend() {
        return current.get().backend();
    }

    @Override
    public String requestedBackend() {
        return requestedBackend;
    }

    @Override
    public List<TensorType> inputTypes() {
        return inputTypes;
    }

    @Override
    public List<TensorType> outputTypes() {
        return outputTypes;
    }

    @Override
    public List<HostTensor> run(List<HostTensor> inputs) {
        List<List<HostTensor>> result = new ArrayList<>(1);
        serve(inputs, deployment -> result.add(deployment.run(inputs)));
        return result.get(0);
    }

    @Override
    public void run(List<HostTensor> inputs, List<HostTensor> outputs) {
        Objects.requireNonNull(outputs, "outputs");
        if (outputs.size() != outputTypes.size()) {
            throw new IllegalArgumentException("model " + name + " returns " + outputTypes.size() + " output(s) " + outputTypes
                    + ", " + outputs.size() + " output tensors were given");
        }
        for (int i = 0; i < outputs.size(); i++) {
            if (!outputs.get(i).type().equals(outputTypes.get(i))) {
                throw new IllegalArgumentException("model " + name + ", output " + i + ": expected " + outputTypes.get(i)
                        + ", the tensor given is " + outputs.get(i).type());
            }
        }
        serve(inputs, deployment -> deployment.run(inputs, outputs));
    }

    /** Checks the inputs, recompiles if stale, runs on the current deployment, and counts the request. */
    private void serve(List<HostTensor> inputs, java.util.function.Consumer<Deployment> request) {
        long start = System.nanoTime();
        try {
            checkOpen();
            checkInputs(inputs);
            String orphaned = orphanedBecause;
            if (orphaned != null) {
                throw new io.torchtpu.api.BackendUnavailableException("model " + name + " cannot run: " + orphaned
                        + "; move it with swap (torchtpu:swap " + name + " BACKEND)");
            }
            if (stale) {
                engine.recompile(this);
            }
            onCurrentDeployment(request);
            requests.incrementAndGet();
            latencies.record(System.nanoTime() - start);
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            throw e;
        }
    }

    private void onCurrentDeployment(java.util.function.Consumer<Deployment> request) {
        while (true) {
            Deployment deployment = current.get();
            if (!deployment.acquire()) {
                checkOpen();
                String orphaned = orphanedBecause;
                if (orphaned != null && current.get() == deployment) {
                    throw new io.torchtpu.api.BackendUnavailableException("model " + name + " cannot run: " + orphaned);
                }
                // retired between reading it and taking a hold: its successor is being installed
                Thread.onSpinWait();
                continue;
            }
            try {
                request.accept(deployment);
                return;
            } finally {
                deployment.release();
            }
        }
    }

    void clearStale() {
        stale = false;
        lastFailedRecompile = null;
    }

    // when the last recompile failed; null when none has
    private volatile Long lastFailedRecompile;

    /** Whether a recompile may be tried now: not within a second of a failed one. */
    boolean recompileDue() {
        Long failed = lastFailedRecompile;
        return failed == null || System.nanoTime() - failed >= 1_000_000_000L;
    }

    void recompileFailed() {
        lastFailedRecompile = System.nanoTime();
    }

    private void checkInputs(List<HostTensor> inputs) {
        Objects.requireNonNull(inputs, "inputs");
        if (inputs.size() != inputTypes.size()) {
            throw new IllegalArgumentException("model " + name + " takes " + inputTypes.size() + " input(s) " + inputTypes
                    + ", given " + inputs.size());
        }
        for (int i = 0; i < inputs.size(); i++) {
            HostTensor input = Objects.requireNonNull(inputs.get(i), "input " + i);
            if (!input.type().equals(inputTypes.get(i))) {
                throw new IllegalArgumentException("model " + name + ", input " + i + " (" + graph.inputs().get(i).name()
                        + "): expected " + inputTypes.get(i) + ", given " + input.type());
            }
        }
    }

    @Override
    public CompletableFuture<List<HostTensor>> runAsync(List<HostTensor> inputs) {
        try {
            checkOpen();
            return CompletableFuture.supplyAsync(() -> run(inputs), engine.executor());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(stoppedEngine(e));
        }
    }

    /** A task the engine's stopped executor refused is a model that stopped with the engine. */
    private RuntimeException stoppedEngine(RuntimeException e) {
        return e instanceof java.util.concurrent.RejectedExecutionException
                ? new IllegalStateException("model " + name + " was stopped with the engine: load it again to use it", e) : e;
    }

    @Override
    public CompletableFuture<Void> swap(String backend) {
        try {
            checkOpen();
            return CompletableFuture.runAsync(() -> {
                checkOpen();
                String from = backend();
                try {
                    engine.move(this, backend);
                } catch (io.torchtpu.api.BackendUnavailableException e) {
                    // nothing was installed: the model serves on as before, and the message says so
                    throw new io.torchtpu.api.BackendUnavailableException("model " + name + " stays on " + from + ": "
                            + e.getMessage(), e);
                }
                requestedBackend = backend;
            }, engine.executor());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(stoppedEngine(e));
        }
    }

    @Override
    public ModelStats stats() {
        double[] millis = latencies.millis();
        return new ModelStats(requests.get(), failures.get(), compiles.get(), cacheHits.get(), millis[0], millis[1], millis[2]);
    }

    @Override
    public String toString() {
        return "Model[" + name + " on " + backend() + ", " + source + "]";
    }
}
