package io.torchtpu.lowering.aten;

import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.Lowering;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Publishes every op of this bundle as its own service: one {@link OpLowering} per {@link AtenOp} field and
 * one {@link Decomposition} per {@link AtenDecomposition} field, each with {@code torchtpu.op} naming its
 * overloads and {@code service.ranking=0}, so that a vendor bundle overrides a single op with a higher ranking.
 * One component registering many services (rather than one DS component per op) keeps each op a short field
 * beside its code instead of a class.
 */
@Component(immediate = true, service = {})
public class AtenLoweringsComponent {
    /** The ranking of this bundle's lowerings: the baseline others override. */
    static final int RANKING = 0;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Activate
    void activate(BundleContext context) {
        for (AtenOp op : Families.lowerings()) {
            registrations.add(context.registerService(OpLowering.class, op, properties(op.ops())));
        }
        for (AtenDecomposition decomposition : Families.decompositions()) {
            registrations.add(context.registerService(Decomposition.class, decomposition, properties(decomposition.ops())));
        }
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregisters a stopping bundle's services itself
            }
        }
        registrations.clear();
    }

    private static Hashtable<String, Object> properties(List<String> ops) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Lowering.OP_PROPERTY, ops.toArray(String[]::new));
        properties.put(Constants.SERVICE_RANKING, RANKING);
        return properties;
    }
}
