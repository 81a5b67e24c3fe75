package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.torchtpu.api.Backend;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The CPU backend, a DS component in Felix, compiles StableHLO on the real XLA CPU plugin; every result
 * is compared with libtorch computing the same thing in the same framework.
 */
class CpuBackendInFelixTest {
    private static final float TOLERANCE = 1e-4f;
    private final BundleContext context = FrameworkUtil.getBundle(CpuBackendInFelixTest.class).getBundleContext();

    private final List<ServiceTracker<Backend, Backend>> trackers = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeTrackers() {
        trackers.forEach(ServiceTracker::close);
    }

    private Backend backend(String id) throws Exception {
        ServiceTracker<Backend, Backend> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + Backend.class.getName() + ")(" + Backend.ID_PROPERTY + "=" + id + "))"), null);
        tracker.open();
        trackers.add(tracker);
        Backend backend = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(backend, "no Backend service with " + Backend.ID_PROPERTY + "=" + id);
        return backend;
    }

    private static List<HostTensor> run(Runtime runtime, String program, HostTensor... inputs) {
        try (Executable executable = runtime.compile(program, Map.of())) {
            return executable.run(List.of(inputs));
        }
    }

    private static void assertMatches(Tensor expected, HostTensor actual) {
        assertArrayEquals(Torch.shape(expected), actual.type().shape(), "shape");
        assertArrayEquals(Torch.values(expected), actual.toFloatArray(), TOLERANCE);
    }

    @Test
    void theDefaultCpuBackendRunsOnThePlugin() throws Exception {
        Runtime runtime = backend("cpu").runtime();
        assertEquals("cpu", runtime.platformName());
        assertTrue(runtime.devices().size() >= 1, runtime.devices().toString());
        assertTrue(backend("cpu").description().startsWith("XLA CPU"), backend("cpu").description());
    }

    @Test
    void elementwiseMatchesLibtorch() throws Exception {
        float[] a = Torch.random(1, 24);
        float[] b = Torch.random(2, 24);
        String program = """
                func.func public @main(%a: tensor<2x3x4xf32>, %b: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
                  %s = stablehlo.add %a, %b : tensor<2x3x4xf32>
                  %p = stablehlo.multiply %s, %a : tensor<2x3x4xf32>
                  %t = stablehlo.tanh %p : tensor<2x3x4xf32>
                  return %t : tensor<2x3x4xf32>
                }
                """;
        List<HostTensor> out = run(backend("cpu").runtime(), program, Torch.host(a, 2, 3, 4), Torch.host(b, 2, 3, 4));
        Tensor ta = Torch.tensor(a, 2, 3, 4);
        assertMatches(ta.add(Torch.tensor(b, 2, 3, 4)).mul(ta).tanh(), out.get(0));
    }

    @Test
    void dotGeneralMatchesLibtorchMatmul() throws Exception {
        float[] a = Torch.random(3, 8 * 16);
        float[] b = Torch.random(4, 16 * 5);
        String program = """
                func.func public @main(%a: tensor<8x16xf32>, %b: tensor<16x5xf32>) -> tensor<8x5xf32> {
                  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<8x16xf32>, tensor<16x5xf32>) -> tensor<8x5xf32>
                  return %0 : tensor<8x5xf32>
                }
                """;
        List<HostTensor> out = run(backend("cpu").runtime(), program, Torch.host(a, 8, 16), Torch.host(b, 16, 5));
        assertMatches(Torch.tensor(a, 8, 16).matmul(Torch.tensor(b, 16, 5)), out.get(0));
    }

    @Test
    void reduceMatchesLibtorchSum() throws Exception {
        float[] x = Torch.random(5, 6 * 7);
        String program = """
                func.func public @main(%x: tensor<6x7xf32>) -> tensor<6xf32> {
                  %zero = stablehlo.constant dense<0.0> : tensor<f32>
                  %0 = stablehlo.reduce(%x init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<6x7xf32>, tensor<f32>) -> tensor<6xf32>
                  return %0 : tensor<6xf32>
                }
                """;
        List<HostTensor> out = run(backend("cpu").runtime(), program, Torch.host(x, 6, 7));
        assertMatches(Torch.tensor(x, 6, 7).sum(1L), out.get(0));
    }

    @Test
    void convolutionMatchesLibtorchConv2d() throws Exception {
        // NCHW input and OIHW kernel, PyTorch's layouts, written out in the dimension numbers
        float[] x = Torch.random(6, 2 * 3 * 6 * 5);
        float[] w = Torch.random(7, 4 * 3 * 3 * 2);
        String program = """
                func.func public @main(%x: tensor<2x3x6x5xf32>, %w: tensor<4x3x3x2xf32>) -> tensor<2x4x4x4xf32> {
                  %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1], window = {stride = [1, 1], pad = [[0, 0], [0, 0]], lhs_dilate = [1, 1], rhs_dilate = [1, 1]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<2x3x6x5xf32>, tensor<4x3x3x2xf32>) -> tensor<2x4x4x4xf32>
                  return %0 : tensor<2x4x4x4xf32>
                }
                """;
        List<HostTensor> out = run(backend("cpu").runtime(), program, Torch.host(x, 2, 3, 6, 5), Torch.host(w, 4, 3, 3, 2));
        assertMatches(torch.conv2d(Torch.tensor(x, 2, 3, 6, 5), Torch.tensor(w, 4, 3, 3, 2)), out.get(0));
    }

    @Test
    void aProgramWithSeveralOutputsReturnsEachInOrder() throws Exception {
        float[] a = Torch.random(8, 12);
        float[] b = Torch.random(9, 12);
        String program = """
                func.func public @main(%a: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<4x4xf32>, tensor<f32>) {
                  %s = stablehlo.subtract %a, %b : tensor<3x4xf32>
                  %g = stablehlo.dot_general %a, %b, contracting_dims = [0] x [0] : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<4x4xf32>
                  %zero = stablehlo.constant dense<0.0> : tensor<f32>
                  %t = stablehlo.reduce(%a init: %zero) applies stablehlo.add across dimensions = [0, 1] : (tensor<3x4xf32>, tensor<f32>) -> tensor<f32>
                  return %s, %g, %t : tensor<3x4xf32>, tensor<4x4xf32>, tensor<f32>
                }
                """;
        List<HostTensor> out = run(backend("cpu").runtime(), program, Torch.host(a, 3, 4), Torch.host(b, 3, 4));
        assertEquals(3, out.size());
        Tensor ta = Torch.tensor(a, 3, 4);
        Tensor tb = Torch.tensor(b, 3, 4);
        assertMatches(ta.sub(tb), out.get(0));
        assertMatches(ta.t().matmul(tb), out.get(1));
        assertMatches(ta.sum(), out.get(2));
    }

    @Test
    void aSerializedExecutableRunsAgainAfterDeserialization() throws Exception {
        Runtime runtime = backend("cpu").runtime();
        String program = """
                func.func public @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                  %0 = stablehlo.exponential %a : tensor<4xf32>
                  return %0 : tensor<4xf32>
                }
                """;
        float[] a = {0f, 1f, -1f, 0.5f};
        byte[] serialized;
        try (Executable executable = runtime.compile(program, Map.of())) {
            serialized = executable.serialize();
        }
        try (Executable again = runtime.deserialize(serialized)) {
            assertMatches(Torch.tensor(a, 4).exp(), again.run(List.of(Torch.host(a, 4))).get(0));
        }
    }

    @Test
    void wrongArgumentsAreRefusedBeforeTheyReachThePlugin() throws Exception {
        Runtime runtime = backend("cpu").runtime();
        String program = """
                func.func public @main(%a: tensor<4xf32>) -> tensor<4xf32> {
                  %0 = stablehlo.negate %a : tensor<4xf32>
                  return %0 : tensor<4xf32>
                }
                """;
        try (Executable executable = runtime.compile(program, Map.of())) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> executable.run(List.of(Torch.host(new float[3], 3))));
            assertTrue(shape.getMessage().contains("tensor<4xf32>") && shape.getMessage().contains("tensor<3xf32>"), shape.getMessage());
            assertThrows(IllegalArgumentException.class, () -> executable.run(List.of()));
            float[] ok = {1, 2, 3, 4};
            assertArrayEquals(new float[] {-1, -2, -3, -4}, executable.run(List.of(Torch.host(ok, 4))).get(0).toFloatArray());
        }
    }

    /** One program, replicated on two CPU devices, each with its own data; each result is checked against libtorch. */
    private static void runsOnBothDevices(io.torchtpu.runtime.pjrt.PjrtRuntime runtime) {
        var client = runtime.client();
        String program = """
                func.func public @main(%x: tensor<3x4xf32>, %y: tensor<3x4xf32>) -> tensor<3x4xf32> {
                  %0 = stablehlo.multiply %x, %x : tensor<3x4xf32>
                  %1 = stablehlo.add %0, %y : tensor<3x4xf32>
                  return %1 : tensor<3x4xf32>
                }
                """;
        try (var executable = client.compile(program, io.torchtpu.runtime.pjrt.CompileOptions.defaults().withNumReplicas(2))) {
            assertEquals(2, executable.addressableDevices().size());
            List<io.torchtpu.runtime.pjrt.PjrtBuffer[]> arguments = new java.util.ArrayList<>();
            float[][] xs = new float[2][];
            float[][] ys = new float[2][];
            for (int d = 0; d < 2; d++) {
                xs[d] = Torch.random(100 + d, 12);
                ys[d] = Torch.random(200 + d, 12);
                var device = executable.addressableDevices().get(d);
                arguments.add(new io.torchtpu.runtime.pjrt.PjrtBuffer[] {
                    client.bufferFromHost(Torch.host(xs[d], 3, 4).data(), io.torchtpu.runtime.pjrt.PjrtElementType.F32, new long[] {3, 4}, device),
                    client.bufferFromHost(Torch.host(ys[d], 3, 4).data(), io.torchtpu.runtime.pjrt.PjrtElementType.F32, new long[] {3, 4}, device)});
            }
            List<io.torchtpu.runtime.pjrt.PjrtBuffer[]> results = executable.executeReplicated(arguments);
            for (int d = 0; d < 2; d++) {
                Tensor x = Torch.tensor(xs[d], 3, 4);
                try (var result = results.get(d)[0]) {
                    assertEquals(executable.addressableDevices().get(d), result.device());
                    assertArrayEquals(Torch.values(x.mul(x).add(Torch.tensor(ys[d], 3, 4))), result.toFloatArray(), TOLERANCE);
                }
                for (var argument : arguments.get(d)) {
                    argument.close();
                }
            }
        }
    }

    @Test
    void aFactoryConfigurationAddsASecondBackendWithTwoDevicesAndItsRemovalTakesItAway() throws Exception {
        ServiceReference<ConfigurationAdmin> reference = context.getServiceReference(ConfigurationAdmin.class);
        ConfigurationAdmin admin = context.getService(reference);
        Configuration configuration = admin.getFactoryConfiguration("io.torchtpu.backend.cpu.instance", "two", "?");
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("torchtpu.backend", "cpu-two");
        properties.put("deviceCount", 2);
        // its runtime is then the PJRT runtime itself, whose client this test drives for a replicated program
        properties.put("tuneKernelLibrary", false);
        configuration.update(properties);
        try {
            Backend two = backend("cpu-two");
            assertEquals(2, two.runtime().devices().size(), two.runtime().devices().toString());
            assertEquals(1, backend("cpu").runtime().devices().size(), "the default backend is left as it was");
            runsOnBothDevices((io.torchtpu.runtime.pjrt.PjrtRuntime) two.runtime());

            // a changed configuration re-creates the client: three devices now
            properties.put("deviceCount", 3);
            configuration.update(properties);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (backend("cpu-two").runtime().devices().size() != 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(3, backend("cpu-two").runtime().devices().size());
        } finally {
            configuration.delete();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (context.getServiceReferences(Backend.class, "(torchtpu.backend=cpu-two)").size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, context.getServiceReferences(Backend.class, "(torchtpu.backend=cpu-two)").size());
    }

    /**
     * An update of the CPU backend's bundle loads a second copy of its oneDNN handler library (the new revision's
     * class loader cannot share the first's), which the plugin, keeping the first copy's handler for the life of
     * the process, takes under another target name; before, the updated backend lost oneDNN until a restart.
     */
    @Test
    void anUpdatedBackendBundleStillRunsConvolutionsWithOneDnn() throws Exception {
        Backend before = backend("cpu");
        assumeTrue(before.description().contains("oneDNN"), "oneDNN is not installed here: " + before.description());
        long serviceBefore = serviceId("cpu");
        Bundle bundle = Bundles.installed(context, "io.torchtpu.backend.cpu");
        bundle.update();
        CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(bundle), event -> refreshed.countDown());
        assertTrue(refreshed.await(60, TimeUnit.SECONDS), "the refresh after the update did not finish");
        assertEquals(Bundle.ACTIVE, bundle.getState());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (serviceId("cpu") == serviceBefore && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertNotEquals(serviceBefore, serviceId("cpu"), "the updated bundle registered no new backend");
        Backend after = backend("cpu");
        assertTrue(after.description().contains("oneDNN"), after.description());
        String identity = after.runtime().identity();
        assertTrue(identity.matches(".* onednn-.* torchtpu\\.onednn\\.convolution\\.\\d+.*"), identity);

        // a convolution the rewrite takes (the lowering's generic form): the tuning runs oneDNN's compile of it
        float[] x = Torch.random(11, 2 * 16 * 9 * 9);
        float[] w = Torch.random(12, 24 * 16 * 3 * 3);
        String program = """
                func.func public @main(%x: tensor<2x16x9x9xf32>, %w: tensor<24x16x3x3xf32>) -> tensor<2x24x9x9xf32> {
                  %0 = "stablehlo.convolution"(%x, %w) {dimension_numbers = #stablehlo.conv<[b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]>, window_strides = array<i64: 1, 1>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>, feature_group_count = 1 : i64, batch_group_count = 1 : i64} : (tensor<2x16x9x9xf32>, tensor<24x16x3x3xf32>) -> tensor<2x24x9x9xf32>
                  return %0 : tensor<2x24x9x9xf32>
                }
                """;
        List<HostTensor> out = run(after.runtime(), program, Torch.host(x, 2, 16, 9, 9), Torch.host(w, 24, 16, 3, 3));
        assertMatches(torch.conv2d(Torch.tensor(x, 2, 16, 9, 9), Torch.tensor(w, 24, 16, 3, 3), new TensorOptional(), new long[] {1, 1}, "same"),
                out.get(0));
    }

    private long serviceId(String backendId) throws Exception {
        return context.getServiceReferences(Backend.class, "(" + Backend.ID_PROPERTY + "=" + backendId + ")").stream()
                .mapToLong(reference -> (Long) reference.getProperty(Constants.SERVICE_ID)).max().orElse(-1);
    }
}
