package io.torchtpu.tracer.torchscript;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.OperatorName;
import org.bytedeco.pytorch.RegistrationHandleRAII;
import org.bytedeco.pytorch.global.torch;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Custom ops (outside {@code aten::}) declared by the services of vendor bundles: a service with the property
 * {@value #SCHEMA_PROPERTY} (a String or String[] of schemas such as
 * {@code vendor::fused_rms_norm(Tensor x, Tensor weight, float eps) -> Tensor}) has each schema registered with
 * libtorch's dispatcher while it is registered, so that libtorch can load TorchScript that calls the op. Only the
 * schema: libtorch has no kernel for it, and the tracer types such a node with the lowerer instead of running it.
 * A schema libtorch knows already (a native library registered it) is left alone.
 */
final class CustomOpSchemas extends ServiceTracker<Object, List<RegistrationHandleRAII>> {
    static final String SCHEMA_PROPERTY = "torchtpu.op.schema";
    private static final Logger LOG = LoggerFactory.getLogger(CustomOpSchemas.class);

    CustomOpSchemas(BundleContext context) {
        super(context, filter(context), null);
    }

    private static Filter filter(BundleContext context) {
        try {
            return context.createFilter("(" + SCHEMA_PROPERTY + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<RegistrationHandleRAII> addingService(ServiceReference<Object> reference) {
        Object property = reference.getProperty(SCHEMA_PROPERTY);
        String[] schemas = property instanceof String[] many ? many : new String[] {String.valueOf(property)};
        List<RegistrationHandleRAII> handles = new ArrayList<>();
        String origin = reference.getBundle() == null ? "?" : reference.getBundle().getSymbolicName();
        synchronized (CustomOpSchemas.class) {
            for (String schema : schemas) {
                try {
                    org.bytedeco.pytorch.FunctionSchema parsed = torch.schema(schema);
                    OperatorName name = parsed.operator_name();
                    if (Dispatcher.singleton().findSchema(name).has_value()) {
                        LOG.info("custom op {} from {}: libtorch knows it already", schema, origin);
                        continue;
                    }
                    handles.add(Dispatcher.singleton().registerDef(parsed, "TorchTPU: " + SCHEMA_PROPERTY + " of " + origin));
                } catch (RuntimeException e) {
                    LOG.warn("custom op schema '{}' from {} is not registered: {}", schema, origin, LoadedProgram.firstLine(e));
                }
            }
        }
        return handles;
    }

    @Override
    public void removedService(ServiceReference<Object> reference, List<RegistrationHandleRAII> handles) {
        synchronized (CustomOpSchemas.class) {
            handles.forEach(RegistrationHandleRAII::close); // deregisters the schema from the dispatcher and the JIT
        }
    }
}
