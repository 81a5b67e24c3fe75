package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.Backend;
import io.torchtpu.api.DType;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.GraphBuilder;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.api.lowering.LoweringChangeListener;
import io.torchtpu.api.lowering.LoweringCoverage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A vendor bundle plugged into the running framework overrides the core lowering of {@code aten::gelu} with a
 * higher ranking; the next compile uses it, and uninstalling the bundle brings the core lowering back, with no
 * restart. Each compiled program runs on the real XLA CPU plugin and is checked against libtorch: exact GELU for
 * the core lowering, x * sigmoid(1.702 x) for the vendor's, which differ by far more than the tolerance.
 */
class HotPlugLoweringInFelixTest {
    private static final String GELU = "aten::gelu";
    private static final String VENDOR_BUNDLE = "io.torchtpu.examples.vendor.gelu";
    private static final float TOLERANCE = 1e-5f;
    private static final long[] SHAPE = {4, 16};

    private final BundleContext context = FrameworkUtil.getBundle(HotPlugLoweringInFelixTest.class).getBundleContext();
    private final BlockingQueue<Set<String>> events = new LinkedBlockingQueue<>();
    private ServiceRegistration<LoweringChangeListener> listener;
    private Bundle vendor;

    @AfterEach
    void cleanUp() throws Exception {
        if (listener != null) {
            listener.unregister();
        }
        if (vendor != null && vendor.getState() != Bundle.UNINSTALLED) {
            vendor.uninstall();
        }
    }

    private <S> S service(Class<S> type, String filter) throws Exception {
        String objectClass = "(objectClass=" + type.getName() + ")";
        ServiceTracker<S, S> tracker = new ServiceTracker<>(context,
                context.createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")"), null);
        tracker.open();
        S service = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(service, "no " + type.getSimpleName() + " service" + (filter == null ? "" : " " + filter));
        return service;
    }

    /** Lowers a one-node gelu graph for the CPU backend, runs it on the plugin, and returns the module and the result. */
    private record Run(LoweredModule module, float[] values) {
    }

    private Run geluOnCpu(Lowerer lowerer, Backend cpu, float[] input) {
        GraphBuilder graph = new GraphBuilder("gelu", lowerer);
        Value x = graph.input("x", TensorType.of(DType.F32, SHAPE));
        graph.output(graph.op(GELU, x).output());
        LoweredModule module = lowerer.lower(graph.build(), "cpu");
        try (Executable executable = cpu.runtime().compile(module.text(), Map.of())) {
            List<HostTensor> out = executable.run(List.of(Torch.host(input, SHAPE)));
            return new Run(module, out.get(0).toFloatArray());
        }
    }

    /** The next change event that names gelu; events for other ops (the core bundle still registering) are skipped. */
    private Set<String> nextGeluEvent() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Set<String> event;
        do {
            event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(event, "no LoweringChangeListener event naming " + GELU);
        } while (!event.contains(GELU));
        return event;
    }

    private static float maxDifference(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void aHigherRankedVendorLoweringTakesOverWhileInstalledAndTheCoreOneReturnsAfter() throws Exception {
        Lowerer lowerer = service(Lowerer.class, null);
        LoweringCoverage coverage = service(LoweringCoverage.class, null);
        Backend cpu = service(Backend.class, "(" + Backend.ID_PROPERTY + "=cpu)");
        listener = context.registerService(LoweringChangeListener.class, events::add, null);

        float[] input = Torch.random(11, (int) (SHAPE[0] * SHAPE[1]));
        for (int i = 0; i < input.length; i++) {
            input[i] *= 4; // [-4, 4): where the two GELUs differ most
        }
        Tensor x = Torch.tensor(input, SHAPE);
        float[] exact = Torch.values(torch.gelu(x));
        float[] sigmoidApproximation = Torch.values(x.mul(x.mul(new Scalar(1.702)).sigmoid()));
        assertTrue(maxDifference(exact, sigmoidApproximation) > 1e-2, "the two GELUs must be told apart");

        Run before = geluOnCpu(lowerer, cpu, input);
        assertEquals("io.torchtpu.lowering.aten/0", before.module().providers().get(GELU));
        assertArrayEquals(exact, before.values(), TOLERANCE);
        events.clear();

        Path jar = Path.of(context.getProperty("torchtpu.itest.vendor.gelu"));
        try (InputStream in = Files.newInputStream(jar)) {
            vendor = context.installBundle("hot-plug:" + jar, in);
        }
        vendor.start();
        assertTrue(nextGeluEvent().contains(GELU));

        Run plugged = geluOnCpu(lowerer, cpu, input);
        assertEquals(VENDOR_BUNDLE + "/100", plugged.module().providers().get(GELU));
        assertArrayEquals(sigmoidApproximation, plugged.values(), TOLERANCE);
        assertTrue(!plugged.module().fingerprint().equals(before.module().fingerprint()), "a new program, so caches miss");
        var geluCoverage = coverage.coverage("cpu").coreOps().stream().filter(op -> op.op().equals(GELU)).findFirst().orElseThrow();
        assertEquals(VENDOR_BUNDLE, geluCoverage.winner().bundle());
        assertEquals(100, geluCoverage.winner().ranking());
        assertEquals("io.torchtpu.lowering.aten", geluCoverage.others().get(0).bundle());

        vendor.uninstall();
        assertTrue(nextGeluEvent().contains(GELU));

        Run after = geluOnCpu(lowerer, cpu, input);
        assertEquals("io.torchtpu.lowering.aten/0", after.module().providers().get(GELU));
        assertArrayEquals(exact, after.values(), TOLERANCE);
        assertEquals(before.module().text(), after.module().text(), "the same program as before the vendor came");
    }
}
