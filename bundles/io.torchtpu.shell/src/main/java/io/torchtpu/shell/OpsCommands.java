package io.torchtpu.shell;

import io.torchtpu.api.lowering.CoverageReport;
import io.torchtpu.api.lowering.CoverageReport.OpStatus;
import io.torchtpu.api.lowering.CoverageReport.ProvidedBy;
import io.torchtpu.api.lowering.LoweringCoverage;
import java.util.List;
import java.util.Locale;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code torchtpu:ops [BACKEND]}: every Core ATen op, whether it is lowered, by which bundle and ranking, the
 * covered fraction, and the lowered ops outside the core list. With a backend id, lowerings limited to that
 * backend take part, as when a graph is compiled for it.
 */
@Component(service = OpsCommands.class, property = {"osgi.command.scope=torchtpu", "osgi.command.function=ops"})
public final class OpsCommands {
    private static final String NOT_LOWERED = "-";

    // optional and dynamic: the command answers (with a hint) when no lowering registry is installed
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile LoweringCoverage coverage;

    /** The coverage for compiles without a backend: only lowerings for every backend count. */
    public String ops() {
        return ops(null);
    }

    public String ops(String backend) {
        LoweringCoverage registry = coverage;
        if (registry == null) {
            return "error: no lowering registry: add it with `torchtpu:feature add lowering`\n";
        }
        return format(registry.coverage(backend));
    }

    static String format(CoverageReport report) {
        StringBuilder text = new StringBuilder();
        text.append(report.opSet()).append(", ").append(report.coreOps().size()).append(" overloads; backend: ")
                .append(report.backend() == null ? "any (generic lowerings only)" : report.backend()).append('\n');
        int width = report.coreOps().stream().mapToInt(s -> s.op().length()).max().orElse(0);
        width = Math.max(width, report.otherOps().stream().mapToInt(s -> s.op().length()).max().orElse(0)) + 2;
        appendTable(text, report.coreOps(), width);
        text.append(String.format(Locale.ROOT, "covered: %d of %d Core ATen ops (%.1f%%)%n", report.coveredCount(),
                report.coreOps().size(), 100 * report.coveredFraction()));
        text.append("lowered outside the Core ATen list: ").append(report.otherOps().size()).append('\n');
        appendTable(text, report.otherOps(), width);
        return text.toString();
    }

    private static void appendTable(StringBuilder text, List<OpStatus> ops, int width) {
        for (OpStatus op : ops) {
            text.append("  ").append(pad(op.op(), width));
            text.append(op.covered() ? describe(op.winner()) : NOT_LOWERED);
            if (!op.others().isEmpty()) {
                text.append("   (also: ").append(String.join(", ", op.others().stream().map(OpsCommands::describe).toList())).append(')');
            }
            text.append('\n');
        }
    }

    /** {@code lowered by BUNDLE VERSION ranking N [backend B]}. */
    private static String describe(ProvidedBy provider) {
        String how = provider.kind() == CoverageReport.Kind.DECOMPOSITION ? "decomposed by " : "lowered by ";
        return how + provider.bundle() + " " + provider.version() + " ranking " + provider.ranking()
                + (provider.backend() == null ? "" : " backend " + provider.backend());
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text + " " : text + " ".repeat(width - text.length());
    }
}
