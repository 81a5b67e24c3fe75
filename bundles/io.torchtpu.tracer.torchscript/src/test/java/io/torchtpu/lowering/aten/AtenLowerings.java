package io.torchtpu.lowering.aten;

import io.torchtpu.lowering.registry.LoweringRegistry;
import io.torchtpu.lowering.registry.Provider;

/** Test helper in the aten package: a registry with every core ATen lowering, as the DS component would publish them. */
public final class AtenLowerings {
    private AtenLowerings() {
    }

    public static LoweringRegistry registry() {
        LoweringRegistry registry = new LoweringRegistry();
        long id = 1;
        for (AtenOp op : Families.lowerings()) {
            registry.addLowering(new Provider<>(op, op.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        for (AtenDecomposition d : Families.decompositions()) {
            registry.addDecomposition(new Provider<>(d, d.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        return registry;
    }
}
