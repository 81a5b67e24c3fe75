package io.torchtpu.lowering.registry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Providers by op, best first; not thread-safe, the registry guards it. */
final class ProviderTable<S> {
    /** Highest ranking first; then backend-specific before generic; then the older service. */
    private static final Comparator<Provider<?>> BEST_FIRST = Comparator.<Provider<?>>comparingInt(p -> -p.ranking())
            .thenComparing(p -> p.backend() == null)
            .thenComparingLong(Provider::id);

    private final Map<String, List<Provider<S>>> byOp = new HashMap<>();
    private final Map<Long, Provider<S>> byId = new HashMap<>();

    /** Adds or replaces (same id) a provider; returns the ops whose providers changed. */
    Set<String> put(Provider<S> provider) {
        Set<String> affected = new TreeSet<>(remove(provider.id()));
        byId.put(provider.id(), provider);
        for (String op : provider.ops()) {
            List<Provider<S>> providers = byOp.computeIfAbsent(op, k -> new ArrayList<>());
            providers.add(provider);
            providers.sort(BEST_FIRST);
            affected.add(op);
        }
        return affected;
    }

    Set<String> remove(long id) {
        Provider<S> old = byId.remove(id);
        if (old == null) {
            return Set.of();
        }
        for (String op : old.ops()) {
            List<Provider<S>> providers = byOp.get(op);
            providers.removeIf(p -> p.id() == id);
            if (providers.isEmpty()) {
                byOp.remove(op);
            }
        }
        return new TreeSet<>(old.ops());
    }

    /** The winning provider of {@code op} for {@code backend}, or null. */
    Provider<S> best(String op, String backend) {
        for (Provider<S> provider : byOp.getOrDefault(op, List.of())) {
            if (provider.appliesTo(backend)) {
                return provider;
            }
        }
        return null;
    }

    /** Every op with its providers, best first. */
    Map<String, List<Provider<S>>> snapshot() {
        Map<String, List<Provider<S>>> copy = new HashMap<>();
        byOp.forEach((op, providers) -> copy.put(op, List.copyOf(providers)));
        return copy;
    }
}
