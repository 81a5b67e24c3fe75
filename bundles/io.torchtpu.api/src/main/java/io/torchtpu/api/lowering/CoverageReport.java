package io.torchtpu.api.lowering;

import java.util.List;

/**
 * A snapshot of the registry against the Core ATen opset.
 *
 * @param backend the backend the winners were chosen for, or null
 * @param opSet where the core list came from, such as {@code PyTorch 2.10.0 Core ATen IR}
 * @param coreOps every Core ATen overload, in the list's order, covered or not
 * @param otherOps the ops that have a lowering or decomposition but are not in the core list (composites such
 *     as {@code aten::linear}), by name
 */
public record CoverageReport(String backend, String opSet, List<OpStatus> coreOps, List<OpStatus> otherOps) {
    public CoverageReport {
        coreOps = List.copyOf(coreOps);
        otherOps = List.copyOf(otherOps);
    }

    /** How a provider handles an op: emits StableHLO for it, or rewrites it into other ATen ops first. */
    public enum Kind { LOWERING, DECOMPOSITION }

    /**
     * One registered service that covers an op.
     *
     * @param bundle the symbolic name of the bundle that registered it
     * @param version that bundle's version
     * @param backend the {@code torchtpu.backend} it is limited to, or null for every backend
     */
    public record ProvidedBy(Kind kind, String bundle, String version, int ranking, String backend) {
    }

    /**
     * @param schema the op's schema from the core list; empty for ops outside it
     * @param winner what the lowerer uses for this op on the report's backend, or null when nothing covers it
     * @param others every other provider of the op: lower ranked, or limited to another backend
     */
    public record OpStatus(String op, String schema, ProvidedBy winner, List<ProvidedBy> others) {
        public OpStatus {
            others = List.copyOf(others);
        }

        public boolean covered() {
            return winner != null;
        }
    }

    public long coveredCount() {
        return coreOps.stream().filter(OpStatus::covered).count();
    }

    /** The covered share of the core list, 0 to 1. */
    public double coveredFraction() {
        return coreOps.isEmpty() ? 0 : (double) coveredCount() / coreOps.size();
    }
}
