package io.torchtpu.lowering.registry;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.CoverageReport;
import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.api.lowering.LoweringChangeListener;
import io.torchtpu.api.lowering.LoweringCoverage;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.List;
import java.util.Map;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry as a DS component: tracks every {@link OpLowering} and {@link Decomposition} service and every
 * {@link LoweringChangeListener} (dynamic, greedy: a better-ranked service that appears is taken at once), and
 * publishes the {@link Lowerer}. Change events go to listener services (a whiteboard) rather than EventAdmin:
 * no extra bundle in every container, a typed callback, and the call happens after the registry has changed.
 * It also publishes {@link LoweringCoverage}, so that the shell reports coverage through the API alone.
 */
@Component(service = {Lowerer.class, LoweringCoverage.class}, immediate = true)
public class LoweringRegistryComponent implements Lowerer, LoweringCoverage {
    private static final Logger LOG = LoggerFactory.getLogger(LoweringRegistryComponent.class);

    private final LoweringRegistry registry = new LoweringRegistry(
            (listener, e) -> LOG.warn("lowering change listener {} failed", listener, e));

    private static long id(ServiceReference<?> reference) {
        return (Long) reference.getProperty(Constants.SERVICE_ID);
    }

    private static String origin(ServiceReference<?> reference) {
        return reference.getBundle() == null ? "<unregistered>" : reference.getBundle().getSymbolicName();
    }

    private static String version(ServiceReference<?> reference) {
        return reference.getBundle() == null ? "" : reference.getBundle().getVersion().toString();
    }

    private static <S> Provider<S> provider(S service, ServiceReference<?> reference, Map<String, Object> properties) {
        return Provider.of(service, properties, id(reference), origin(reference), version(reference));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            updated = "updatedLowering", unbind = "removeLowering")
    void addLowering(ServiceReference<OpLowering> reference, OpLowering lowering, Map<String, Object> properties) {
        try {
            registry.addLowering(provider(lowering, reference, properties));
            LOG.debug("lowering {} from {} ranked {}", properties.get("torchtpu.op"), origin(reference), properties.get(Constants.SERVICE_RANKING));
        } catch (IllegalArgumentException e) {
            LOG.error("ignoring an OpLowering service: {}", e.getMessage());
        }
    }

    void updatedLowering(ServiceReference<OpLowering> reference, OpLowering lowering, Map<String, Object> properties) {
        addLowering(reference, lowering, properties);
    }

    void removeLowering(ServiceReference<OpLowering> reference) {
        registry.removeLowering(id(reference));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            updated = "updatedDecomposition", unbind = "removeDecomposition")
    void addDecomposition(ServiceReference<Decomposition> reference, Decomposition decomposition, Map<String, Object> properties) {
        try {
            registry.addDecomposition(provider(decomposition, reference, properties));
        } catch (IllegalArgumentException e) {
            LOG.error("ignoring a Decomposition service: {}", e.getMessage());
        }
    }

    void updatedDecomposition(ServiceReference<Decomposition> reference, Decomposition decomposition, Map<String, Object> properties) {
        addDecomposition(reference, decomposition, properties);
    }

    void removeDecomposition(ServiceReference<Decomposition> reference) {
        registry.removeDecomposition(id(reference));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            unbind = "removeListener")
    void addListener(LoweringChangeListener listener) {
        registry.addListener(listener);
    }

    void removeListener(LoweringChangeListener listener) {
        registry.removeListener(listener);
    }

    @Override
    public LoweredModule lower(Graph graph, String backend) {
        return registry.lower(graph, backend);
    }

    @Override
    public Graph prepare(Graph graph, String backend) {
        return registry.prepare(graph, backend);
    }

    @Override
    public CoverageReport coverage(String backend) {
        return registry.coverage(backend);
    }

    @Override
    public List<TensorType> inferTypes(String op, List<Value> inputs, Map<String, Object> attributes) {
        return registry.inferTypes(op, inputs, attributes);
    }
}
