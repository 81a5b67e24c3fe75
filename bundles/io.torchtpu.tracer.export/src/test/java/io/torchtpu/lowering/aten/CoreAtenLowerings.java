package io.torchtpu.lowering.aten;

import io.torchtpu.lowering.registry.LoweringRegistry;
import io.torchtpu.lowering.registry.Provider;

/**
 * Test-only access to the core ATen lowerings as plain objects (their families are package-private, published
 * in Felix by AtenLoweringsComponent): the export tracer's end-to-end test lowers real graphs outside a framework.
 */
public final class CoreAtenLowerings {
    private CoreAtenLowerings() {
    }

    public static LoweringRegistry registry() {
        LoweringRegistry registry = new LoweringRegistry();
        long id = 1;
        for (AtenOp op : Families.lowerings()) {
            registry.addLowering(new Provider<>(op, op.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        for (AtenDecomposition decomposition : Families.decompositions()) {
            registry.addDecomposition(new Provider<>(decomposition, decomposition.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        return registry;
    }
}
