package io.torchtpu.api.tpu;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A generation given by its values: what a generation bundle's component extends, passing its name, figures and
 * compile defaults once. The component must name its service ({@code @Component(service = TpuGeneration.class)}),
 * since it implements the interface only through this class.
 */
public abstract class DescribedTpuGeneration implements TpuGeneration {
    private final String generation;
    private final String topologyName;
    private final List<String> deviceKinds;
    private final String defaultSlice;
    private final String displayName;
    private final TpuFacts facts;
    private final Map<String, Object> compileDefaults;

    /**
     * @param generation the generation's name ({@link #generation()})
     * @param topologyName libtpu's name for its topologies ({@link #topologyName()})
     * @param deviceKinds the PJRT device kinds its chips report
     * @param defaultSlice the slice shape used when a target names none
     * @param displayName how people name it, e.g. "TPU v6e (Trillium)"
     * @param facts its published per-chip figures, each with its source
     * @param compileDefaults compile options that suit it
     */
    protected DescribedTpuGeneration(String generation, String topologyName, List<String> deviceKinds, String defaultSlice,
            String displayName, TpuFacts facts, Map<String, Object> compileDefaults) {
        this.generation = Objects.requireNonNull(generation, "generation");
        this.topologyName = Objects.requireNonNull(topologyName, "topologyName");
        this.deviceKinds = List.copyOf(deviceKinds);
        this.defaultSlice = Objects.requireNonNull(defaultSlice, "defaultSlice");
        this.displayName = Objects.requireNonNull(displayName, "displayName");
        this.facts = Objects.requireNonNull(facts, "facts");
        this.compileDefaults = Map.copyOf(compileDefaults);
    }

    @Override
    public String generation() {
        return generation;
    }

    @Override
    public String topologyName() {
        return topologyName;
    }

    @Override
    public List<String> deviceKinds() {
        return deviceKinds;
    }

    @Override
    public TpuFacts facts() {
        return facts;
    }

    @Override
    public String defaultSlice() {
        return defaultSlice;
    }

    @Override
    public Map<String, Object> compileDefaults() {
        return compileDefaults;
    }

    @Override
    public String toString() {
        return displayName;
    }
}
