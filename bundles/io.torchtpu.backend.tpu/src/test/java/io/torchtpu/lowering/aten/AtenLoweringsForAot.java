package io.torchtpu.lowering.aten;

import io.torchtpu.lowering.registry.LoweringRegistry;
import io.torchtpu.lowering.registry.Provider;

/** The core ATen lowerings in a plain registry (Felix publishes them through AtenLoweringsComponent). */
public final class AtenLoweringsForAot {
    private AtenLoweringsForAot() {
    }

    public static LoweringRegistry registry() {
        LoweringRegistry registry = new LoweringRegistry();
        long serviceId = 1;
        for (AtenOp op : Families.lowerings()) {
            registry.addLowering(new Provider<>(op, op.ops(), null, 0, serviceId++, "io.torchtpu.lowering.aten"));
        }
        for (AtenDecomposition decomposition : Families.decompositions()) {
            registry.addDecomposition(new Provider<>(decomposition, decomposition.ops(), null, 0, serviceId++,
                    "io.torchtpu.lowering.aten"));
        }
        return registry;
    }
}
