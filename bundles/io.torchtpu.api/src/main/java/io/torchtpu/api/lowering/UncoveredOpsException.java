package io.torchtpu.api.lowering;

import java.util.List;

/** Some ops of a graph have no lowering; {@link #uncovered()} lists each once, with its schema and where it is used. */
public class UncoveredOpsException extends LoweringException {
    private static final long serialVersionUID = 1L;

    /**
     * @param op the ATen overload name
     * @param schema the schema the tracer gave, or the node's signature as seen
     * @param locations every source location the op is used at
     */
    public record Uncovered(String op, String schema, List<String> locations) {
        public Uncovered {
            locations = List.copyOf(locations);
        }
    }

    private final transient List<Uncovered> uncovered;

    public UncoveredOpsException(String graphName, List<Uncovered> uncovered) {
        super(message(graphName, uncovered));
        this.uncovered = List.copyOf(uncovered);
    }

    public List<Uncovered> uncovered() {
        return uncovered;
    }

    private static String message(String graphName, List<Uncovered> uncovered) {
        StringBuilder text = new StringBuilder("graph ").append(graphName).append(": no lowering for ")
                .append(uncovered.size()).append(uncovered.size() == 1 ? " op" : " ops");
        for (Uncovered op : uncovered) {
            text.append("\n  ").append(op.op()).append("  schema: ").append(op.schema());
            for (String location : op.locations()) {
                text.append("\n    at ").append(location);
            }
        }
        return text.toString();
    }
}
