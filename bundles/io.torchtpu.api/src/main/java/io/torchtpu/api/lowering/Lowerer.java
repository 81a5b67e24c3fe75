package io.torchtpu.api.lowering;

import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.TypeInference;

/**
 * Turns a graph into a StableHLO module with the lowerings registered now: decompositions first, then one
 * lowering per node. As a {@link TypeInference} it types nodes exactly as they will be lowered.
 */
public interface Lowerer extends TypeInference {

    /**
     * @param backend the backend id that lowerings limited to a backend are matched against; null for none
     * @throws UncoveredOpsException listing every op no lowering covers, before anything is emitted
     * @throws LoweringException naming the op, its location and the bundle of the lowering that failed
     */
    LoweredModule lower(Graph graph, String backend);

    /**
     * The graph rewritten for speed before {@link #lower}: the same results, with weights possibly stored in
     * another layout (their data transformed, a node that restores the original layout added). Whoever lowers
     * the returned graph passes its constants' data to the program. This default returns the graph as it is.
     *
     * @param backend the backend id the program is for; null for none
     */
    default Graph prepare(Graph graph, String backend) {
        return graph;
    }
}
