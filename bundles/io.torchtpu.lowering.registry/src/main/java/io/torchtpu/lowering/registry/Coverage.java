package io.torchtpu.lowering.registry;

import io.torchtpu.api.lowering.CoverageReport;
import io.torchtpu.api.lowering.CoverageReport.Kind;
import io.torchtpu.api.lowering.CoverageReport.OpStatus;
import io.torchtpu.api.lowering.CoverageReport.ProvidedBy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Builds a {@link CoverageReport} from one registry snapshot, choosing winners exactly as the lowerer does. */
final class Coverage {
    private Coverage() {
    }

    static CoverageReport report(LoweringRegistry.Snapshot snapshot, CoreAtenOps core, String backend) {
        List<OpStatus> coreOps = new ArrayList<>();
        Set<String> coreNames = new HashSet<>();
        for (CoreAtenOps.Op op : core.ops()) {
            coreNames.add(op.name());
            coreOps.add(status(snapshot, op.name(), op.schema(), backend));
        }
        Set<String> others = new TreeSet<>(snapshot.lowerings().keySet());
        others.addAll(snapshot.decompositions().keySet());
        others.removeAll(coreNames);
        List<OpStatus> otherOps = others.stream().map(op -> status(snapshot, op, "", backend)).toList();
        return new CoverageReport(backend, core.source(), coreOps, otherOps);
    }

    private static OpStatus status(LoweringRegistry.Snapshot snapshot, String op, String schema, String backend) {
        // the lowerer applies a decomposition before it looks for a lowering, so a decomposition wins
        Provider<?> decomposition = snapshot.decomposition(op, backend);
        Provider<?> lowering = snapshot.lowering(op, backend);
        Provider<?> winner = decomposition != null ? decomposition : lowering;
        ProvidedBy winning = null;
        List<ProvidedBy> others = new ArrayList<>();
        for (Provider<?> provider : snapshot.decompositions().getOrDefault(op, List.of())) {
            add(provider, Kind.DECOMPOSITION, winner, others);
        }
        for (Provider<?> provider : snapshot.lowerings().getOrDefault(op, List.of())) {
            add(provider, Kind.LOWERING, winner, others);
        }
        if (winner != null) {
            winning = describe(winner, winner == decomposition ? Kind.DECOMPOSITION : Kind.LOWERING);
        }
        return new OpStatus(op, schema, winning, others);
    }

    private static void add(Provider<?> provider, Kind kind, Provider<?> winner, List<ProvidedBy> others) {
        if (provider != winner) {
            others.add(describe(provider, kind));
        }
    }

    private static ProvidedBy describe(Provider<?> provider, Kind kind) {
        return new ProvidedBy(kind, provider.origin(), provider.version(), provider.ranking(), provider.backend());
    }
}
