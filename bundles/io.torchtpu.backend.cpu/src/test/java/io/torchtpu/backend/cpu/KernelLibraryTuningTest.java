package io.torchtpu.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.Device;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tuning runtime on the real XLA CPU plugin: whichever compile it keeps computes the same numbers. */
class KernelLibraryTuningTest {
    private static final String MATMUL = """
            module @matmul {
              func.func public @main(%lhs: tensor<2x3xf32>, %rhs: tensor<3x4xf32>) -> tensor<2x4xf32> {
                %0 = stablehlo.dot_general %lhs, %rhs, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
                return %0 : tensor<2x4xf32>
              }
            }
            """;
    private static final String ADD = """
            module @add {
              func.func public @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
                %0 = stablehlo.add %a, %b : tensor<4xf32>
                return %0 : tensor<4xf32>
              }
            }
            """;

    private static final HostTensor LHS = HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    private static final HostTensor RHS = HostTensor.ofFloats(new float[] {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4);
    private static final float[] PRODUCT = {1, 2, 3, 6, 4, 5, 6, 15};

    private static PjrtRuntime runtime;
    private static KernelLibraryTuning tuning;

    @BeforeAll
    static void start() {
        runtime = new PjrtRuntime(PjrtPlugin.loadDefaultCpu().initialize().createClient(Map.of("asynchronous", false)));
        tuning = new KernelLibraryTuning(runtime, "cpu-test", null);
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @Test
    void onlyProgramsWithProductsOrConvolutionsAreTunedAndACallersChoiceStands() {
        assertTrue(KernelLibraryTuning.worthTuning(MATMUL, Map.of()));
        assertTrue(KernelLibraryTuning.worthTuning("%1 = \"stablehlo.convolution\"(%0, %w)", Map.of()));
        assertFalse(KernelLibraryTuning.worthTuning(ADD, Map.of()));
        assertFalse(KernelLibraryTuning.worthTuning(MATMUL, Map.of(KernelLibraryTuning.YNN_OPTION, "LIBRARY_FUSION_TYPE_DOT")));
    }

    @Test
    void theKeptProgramComputesTheProduct() {
        HostTensor lhs = HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        HostTensor rhs = HostTensor.ofFloats(new float[] {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4);
        float[] expected = {1, 2, 3, 6, 4, 5, 6, 15};
        try (Executable tuned = tuning.compile(MATMUL, Map.of());
                Executable chosen = tuning.compile(MATMUL, Map.of(KernelLibraryTuning.YNN_OPTION, KernelLibraryTuning.WITHOUT_YNN))) {
            assertArrayEquals(expected, tuned.run(List.of(lhs, rhs)).get(0).toFloatArray());
            assertArrayEquals(expected, chosen.run(List.of(lhs, rhs)).get(0).toFloatArray());
        }
        try (Executable add = tuning.compile(ADD, Map.of())) {
            HostTensor a = HostTensor.ofFloats(new float[] {1, 2, 3, 4}, 4);
            assertArrayEquals(new float[] {2, 4, 6, 8}, add.run(List.of(a, a)).get(0).toFloatArray());
        }
    }

    @Test
    void aPluginThatRefusesTheOptionGetsTheDefaultCompileStillOpen() {
        // the real runtime, refusing the kernel library option as a plugin without it would
        Runtime refusing = new RealRuntime() {
            @Override public Executable compile(String stableHlo, Map<String, Object> options) {
                if (options.containsKey(KernelLibraryTuning.YNN_OPTION)) {
                    throw new IllegalArgumentException("unknown compile option " + KernelLibraryTuning.YNN_OPTION);
                }
                return runtime.compile(stableHlo, options);
            }
        };
        HostTensor lhs = HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        HostTensor rhs = HostTensor.ofFloats(new float[] {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4);
        try (Executable kept = new KernelLibraryTuning(refusing, "cpu-test", null).compile(MATMUL, Map.of())) {
            assertArrayEquals(new float[] {1, 2, 3, 6, 4, 5, 6, 15}, kept.run(List.of(lhs, rhs)).get(0).toFloatArray());
        }
    }

    @Test
    void itsIdentityKeepsTunedExecutablesApartInACompileCache() {
        assertEquals(runtime.identity() + " kernel-library-tuned", tuning.identity());
        assertEquals(runtime.devices(), tuning.devices());
    }

    @Test
    void aProgramFarSlowerThanTheFastestIsDroppedAfterTwoRuns() {
        // the real runtime, whose compile without YNNPACK runs the product 20 ms slower (as a kernel that falls
        // back to a reference implementation would): two warm-up runs show it has lost, and it runs no more
        AtomicInteger slowRuns = new AtomicInteger();
        Runtime slowWithoutYnn = new RealRuntime() {
            @Override public Executable compile(String stableHlo, Map<String, Object> options) {
                Executable compiled = runtime.compile(stableHlo, options);
                return options.containsKey(KernelLibraryTuning.YNN_OPTION) ? new Slower(compiled, slowRuns, 20_000_000L) : compiled;
            }
        };
        HostTensor lhs = HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        HostTensor rhs = HostTensor.ofFloats(new float[] {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4);
        try (Executable kept = new KernelLibraryTuning(slowWithoutYnn, "cpu-test", null).compile(MATMUL, Map.of())) {
            assertEquals(2, slowRuns.get(), "runs of the slow program");
            assertFalse(kept instanceof Slower);
            assertArrayEquals(new float[] {1, 2, 3, 6, 4, 5, 6, 15}, kept.run(List.of(lhs, rhs)).get(0).toFloatArray());
        }
    }

    @Test
    void aProgramFasterOnTheSmallerPoolIsKeptThereRunsOnTheFirstClientsBuffersAndDeserializesThere() {
        // the smaller pool's client for real; the first client's programs made 2 ms slower, so that the smaller pool wins
        try (PjrtRuntime smaller = smallerPool()) {
            KernelLibraryTuning tuned = new KernelLibraryTuning(slowed(runtime, 2_000_000L), "cpu-test", null, smaller, 1);
            assertEquals(runtime.identity() + " kernel-library-tuned smaller-pool-1", tuned.identity());
            try (Executable kept = tuned.compile(MATMUL, Map.of()); DeviceBuffer rhs = tuned.upload(RHS)) {
                assertFalse(kept instanceof Slower, "kept on the smaller pool");
                assertArrayEquals(PRODUCT, kept.run(List.of(LHS), List.of(rhs)).get(0).toFloatArray());
                byte[] serialized = kept.serialize();
                assertArrayEquals(KernelLibraryTuning.SMALLER_POOL_MARK, Arrays.copyOf(serialized, KernelLibraryTuning.SMALLER_POOL_MARK.length));
                try (Executable again = tuned.deserialize(serialized)) {
                    assertArrayEquals(PRODUCT, again.run(List.of(LHS), List.of(rhs)).get(0).toFloatArray());
                    assertArrayEquals(KernelLibraryTuning.SMALLER_POOL_MARK,
                            Arrays.copyOf(again.serialize(), KernelLibraryTuning.SMALLER_POOL_MARK.length), "marked again: a cache that rewrites it keeps the pool");
                }
                // a backend configured without the smaller pool runs it on its own client
                try (Executable own = tuning.deserialize(serialized); DeviceBuffer ownRhs = tuning.upload(RHS)) {
                    assertArrayEquals(PRODUCT, own.run(List.of(LHS), List.of(ownRhs)).get(0).toFloatArray());
                }
            }
        }
    }

    @Test
    void aProgramSlowerOnTheSmallerPoolStaysOnTheFirstClient() {
        try (PjrtRuntime smaller = smallerPool()) {
            KernelLibraryTuning tuned = new KernelLibraryTuning(runtime, "cpu-test", null, slowed(smaller, 2_000_000L), 1);
            try (Executable kept = tuned.compile(MATMUL, Map.of())) {
                assertFalse(kept instanceof Slower);
                byte[] serialized = kept.serialize();
                assertFalse(Arrays.equals(KernelLibraryTuning.SMALLER_POOL_MARK, Arrays.copyOf(serialized, KernelLibraryTuning.SMALLER_POOL_MARK.length)));
                assertArrayEquals(PRODUCT, kept.run(List.of(LHS, RHS)).get(0).toFloatArray());
            }
        }
    }

    /** A second real client of the plugin with a pool of one thread, sharing the first one's buffers, as CpuBackend makes it. */
    private static PjrtRuntime smallerPool() {
        return PjrtRuntime.sharingBuffersOf(runtime, PjrtPlugin.loadDefaultCpu()
                .createClient(Map.of("asynchronous", false), Map.of(CpuBackend.POOL_SIZE_VARIABLE, "1")));
    }

    /** The real runtime, its executables' runs made {@code delayNanos} slower. */
    private static Runtime slowed(Runtime real, long delayNanos) {
        AtomicInteger runs = new AtomicInteger();
        return new Runtime() {
            @Override public String platformName() { return real.platformName(); }
            @Override public String platformVersion() { return real.platformVersion(); }
            @Override public String identity() { return real.identity(); }
            @Override public List<Device> devices() { return real.devices(); }
            @Override public Executable compile(String stableHlo, Map<String, Object> options) {
                return new Slower(real.compile(stableHlo, options), runs, delayNanos);
            }
            @Override public DeviceBuffer upload(HostTensor tensor) { return real.upload(tensor); }
            @Override public Executable deserialize(byte[] serialized) { return new Slower(real.deserialize(serialized), runs, delayNanos); }
        };
    }

    /** A real executable whose device runs take {@code delayNanos} longer. */
    private record Slower(Executable real, AtomicInteger runs, long delayNanos) implements Executable {
        @Override public List<TensorType> inputTypes() { return real.inputTypes(); }
        @Override public List<TensorType> outputTypes() { return real.outputTypes(); }
        @Override public List<HostTensor> run(List<HostTensor> inputs) { return real.run(inputs); }
        @Override public List<HostTensor> run(List<HostTensor> inputs, List<DeviceBuffer> resident) { return real.run(inputs, resident); }
        @Override public void run(List<HostTensor> inputs, List<DeviceBuffer> resident, List<HostTensor> outputs) {
            runs.incrementAndGet();
            LockSupport.parkNanos(delayNanos);
            real.run(inputs, resident, outputs);
        }
        @Override public byte[] serialize() { return real.serialize(); }
        @Override public void close() { real.close(); }
    }

    /** The real runtime, for a test to change what its compile does. */
    private abstract static class RealRuntime implements Runtime {
        @Override public String platformName() { return runtime.platformName(); }
        @Override public String platformVersion() { return runtime.platformVersion(); }
        @Override public List<Device> devices() { return runtime.devices(); }
        @Override public DeviceBuffer upload(HostTensor tensor) { return runtime.upload(tensor); }
        @Override public Executable deserialize(byte[] serialized) { return runtime.deserialize(serialized); }
    }
}
