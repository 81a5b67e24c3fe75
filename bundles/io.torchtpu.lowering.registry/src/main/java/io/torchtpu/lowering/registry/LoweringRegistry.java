package io.torchtpu.lowering.registry;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.CoverageReport;
import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.api.lowering.LoweringChangeListener;
import io.torchtpu.api.lowering.LoweringCoverage;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * The registry without OSGi: ranked tables of lowerings and decompositions, change listeners, and the
 * {@link Lowerer} over them. {@link LoweringRegistryComponent} feeds it from the service registry; tests and
 * tools outside a framework feed it directly. Every lowering works on a snapshot taken when it starts, so a
 * lowering that comes or goes meanwhile affects the next graph, never half of one.
 */
public final class LoweringRegistry implements Lowerer, LoweringCoverage {
    private final ProviderTable<OpLowering> lowerings = new ProviderTable<>();
    private final ProviderTable<Decomposition> decompositions = new ProviderTable<>();
    private final List<LoweringChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final BiConsumer<LoweringChangeListener, RuntimeException> listenerFailure;
    private volatile CoreAtenOps coreOps;

    public LoweringRegistry() {
        this((listener, e) -> { });
    }

    /** @param listenerFailure told when a listener throws; the other listeners are still called */
    public LoweringRegistry(BiConsumer<LoweringChangeListener, RuntimeException> listenerFailure) {
        this.listenerFailure = listenerFailure;
    }

    public void addLowering(Provider<OpLowering> provider) {
        Set<String> affected;
        synchronized (this) {
            affected = lowerings.put(provider);
        }
        fire(affected);
    }

    public void removeLowering(long id) {
        Set<String> affected;
        synchronized (this) {
            affected = lowerings.remove(id);
        }
        fire(affected);
    }

    public void addDecomposition(Provider<Decomposition> provider) {
        Set<String> affected;
        synchronized (this) {
            affected = decompositions.put(provider);
        }
        fire(affected);
    }

    public void removeDecomposition(long id) {
        Set<String> affected;
        synchronized (this) {
            affected = decompositions.remove(id);
        }
        fire(affected);
    }

    public void addListener(LoweringChangeListener listener) {
        listeners.add(listener);
    }

    public void removeListener(LoweringChangeListener listener) {
        listeners.remove(listener);
    }

    private void fire(Set<String> ops) {
        if (ops.isEmpty()) {
            return;
        }
        Set<String> unmodifiable = Set.copyOf(ops);
        for (LoweringChangeListener listener : listeners) {
            try {
                listener.loweringsChanged(unmodifiable);
            } catch (RuntimeException e) {
                listenerFailure.accept(listener, e);
            }
        }
    }

    /** A consistent view of both tables. */
    synchronized Snapshot snapshot() {
        return new Snapshot(lowerings.snapshot(), decompositions.snapshot());
    }

    /** Every op with its lowering providers, best first, for the coverage report. */
    public Map<String, List<Provider<OpLowering>>> lowerings() {
        return snapshot().lowerings();
    }

    public Map<String, List<Provider<Decomposition>>> decompositions() {
        return snapshot().decompositions();
    }

    /** Every Core ATen op with what covers it on {@code backend}, and the lowered ops outside the core list. */
    @Override
    public CoverageReport coverage(String backend) {
        return Coverage.report(snapshot(), coreOps(), backend);
    }

    private CoreAtenOps coreOps() {
        CoreAtenOps ops = coreOps;
        if (ops == null) {
            ops = CoreAtenOps.load(); // read on first use: a container that never asks pays nothing
            coreOps = ops;
        }
        return ops;
    }

    @Override
    public LoweredModule lower(Graph graph, String backend) {
        return new GraphLowerer(snapshot(), backend).lower(graph);
    }

    @Override
    public Graph prepare(Graph graph, String backend) {
        return WeightLayout.forKernels(graph);
    }

    @Override
    public List<TensorType> inferTypes(String op, List<Value> inputs, Map<String, Object> attributes) {
        return new GraphLowerer(snapshot(), null).inferTypes(op, inputs, attributes);
    }

    record Snapshot(Map<String, List<Provider<OpLowering>>> lowerings, Map<String, List<Provider<Decomposition>>> decompositions) {
        Provider<OpLowering> lowering(String op, String backend) {
            return best(lowerings.get(op), backend);
        }

        Provider<Decomposition> decomposition(String op, String backend) {
            return best(decompositions.get(op), backend);
        }

        private static <S> Provider<S> best(List<Provider<S>> providers, String backend) {
            if (providers != null) {
                for (Provider<S> provider : providers) {
                    if (provider.appliesTo(backend)) {
                        return provider;
                    }
                }
            }
            return null;
        }
    }
}
