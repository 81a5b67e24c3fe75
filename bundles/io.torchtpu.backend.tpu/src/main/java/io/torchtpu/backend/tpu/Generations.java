package io.torchtpu.backend.tpu;

import io.torchtpu.api.tpu.TpuGeneration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The TpuGeneration services seen, with their ranking: per generation the highest service.ranking wins,
 * then the oldest service (lowest service.id), as OSGi orders services.
 */
final class Generations {
    record Claim(TpuGeneration generation, int ranking, long serviceId, String bundle) {
    }

    private final List<Claim> claims = new CopyOnWriteArrayList<>();

    void add(TpuGeneration generation, Map<String, Object> properties, String bundle) {
        Object ranking = properties.get("service.ranking");
        Object id = properties.get("service.id");
        claims.add(new Claim(generation, ranking instanceof Integer r ? r : 0, id instanceof Long l ? l : 0, bundle));
    }

    void remove(TpuGeneration generation) {
        claims.removeIf(c -> c.generation() == generation);
    }

    private static final Comparator<Claim> WINNER_FIRST =
            Comparator.comparingInt(Claim::ranking).reversed().thenComparingLong(Claim::serviceId);

    /** Every claim, grouped by generation name, the winner of each first. */
    List<Claim> all() {
        List<Claim> sorted = new ArrayList<>(claims);
        sorted.sort(Comparator.comparing((Claim c) -> c.generation().generation()).thenComparing(WINNER_FIRST));
        return sorted;
    }

    /** The winning claim of a generation name (v5e). */
    Optional<Claim> winner(String name) {
        return claims.stream().filter(c -> c.generation().generation().equals(name)).sorted(WINNER_FIRST).findFirst();
    }

    /** The winning service for a generation name (v5e). */
    Optional<TpuGeneration> byName(String name) {
        return winner(name).map(Claim::generation);
    }

    /** The winning service whose chips report this PJRT device kind (TPU v5 lite). */
    Optional<TpuGeneration> byDeviceKind(String kind) {
        return claims.stream().filter(c -> c.generation().deviceKinds().contains(kind)).sorted(WINNER_FIRST)
                .map(Claim::generation).findFirst();
    }

    List<String> names() {
        return claims.stream().map(c -> c.generation().generation()).distinct().sorted().toList();
    }
}
