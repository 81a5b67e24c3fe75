package io.torchtpu.launcher;

import java.util.List;

/**
 * The Gogo commands {@code torchtpu:features} and {@code torchtpu:feature add|remove NAME}. Gogo calls
 * them by reflection, so their signatures use Java types only.
 */
public final class FeatureCommands {
    static final String[] FUNCTIONS = {"features", "feature"};
    private final FeatureManager features;

    FeatureCommands(FeatureManager features) {
        this.features = features;
    }

    /** Lists the known features, which are active, and the bundles of each active one. */
    public String features() {
        return format(features.list());
    }

    /** {@code feature add NAME} or {@code feature remove NAME}: adds or removes a feature while the container runs. */
    public String feature(String action, String name) {
        try {
            FeatureManager.Report report = switch (action) {
                case "add" -> features.add(name);
                case "remove" -> features.remove(name);
                default -> throw new FeatureException("unknown action '" + action + "': use `feature add NAME` or `feature remove NAME`");
            };
            return format(action, report);
        } catch (FeatureException e) {
            return "error: " + e.getMessage();
        }
    }

    static String format(String action, FeatureManager.Report report) {
        StringBuilder text = new StringBuilder();
        text.append("feature ").append(report.feature()).append(action.equals("add") ? " added" : " removed")
                .append(report.ok() ? "" : " with " + report.problems().size() + " problem(s)").append('\n');
        report.bundles().forEach(b -> text.append("  ").append(b).append('\n'));
        report.problems().forEach(p -> text.append("  problem: ").append(p).append('\n'));
        return text.toString();
    }

    static String format(List<FeatureManager.Status> statuses) {
        StringBuilder text = new StringBuilder();
        for (FeatureManager.Status status : statuses) {
            text.append(status.active() ? "* " : "  ").append(status.name())
                    .append(status.active() ? "  (active)" : "").append("  ").append(status.file()).append('\n');
            status.bundles().forEach(b -> text.append("      ").append(b).append('\n'));
        }
        return text.toString();
    }
}
