package io.torchtpu.runtime.pjrt.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.runtime.pjrt.CompileOptions;
import io.torchtpu.runtime.pjrt.PjrtBuffer;
import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtElementType;
import io.torchtpu.runtime.pjrt.PjrtErrorCode;
import io.torchtpu.runtime.pjrt.PjrtException;
import io.torchtpu.runtime.pjrt.PjrtLoadedExecutable;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtPluginLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each fault the PJRT bridge can meet, injected on purpose: it must surface as a Java exception with a
 * clear message, leave the JVM running, and leave another model (the {@link ServingMonitor}, on its own
 * client of the real plugin) serving right answers throughout. Faults the real XLA CPU plugin cannot
 * produce come from the FAKE plugins built from {@code src/test/c/fake_failing_pjrt_plugin.c}.
 */
class PjrtFaultInjectionTest {
    private static final String ADD = """
            module @add {
              func.func public @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
                %0 = stablehlo.add %a, %b : tensor<4xf32>
                return %0 : tensor<4xf32>
              }
            }
            """;

    private static PjrtPlugin real;
    private static ServingMonitor otherModel;
    private static int faultsInjected;

    @TempDir
    Path temp;

    private String currentTest;

    @BeforeAll
    static void startTheOtherModel() {
        Path plugin = PjrtPlugin.defaultCpuPluginPath();
        assertTrue(Files.isRegularFile(plugin), "the real XLA CPU plugin is missing at " + plugin
                + "; run runtime-launcher/scripts/fetch-pjrt-cpu.sh");
        real = PjrtPlugin.load(plugin);
        otherModel = new ServingMonitor(real);
    }

    @AfterAll
    static void stopTheOtherModel() throws InterruptedException {
        if (otherModel != null) {
            System.out.printf("fault injection: %d faults injected, the other model served %d requests, all right%n",
                    faultsInjected, otherModel.served());
            otherModel.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void name(TestInfo info) {
        currentTest = info.getDisplayName();
    }

    @AfterEach
    void theOtherModelStillServes() throws InterruptedException {
        otherModel.assertStillServing(currentTest);
        // and a new client of the real plugin still works
        try (PjrtClient client = real.createClient(); PjrtLoadedExecutable add = client.compile(ADD);
             PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4); PjrtBuffer r = add.execute(a, a)[0]) {
            assertArrayEquals(new float[] {2, 4, 6, 8}, r.toFloatArray());
        }
    }

    /** Records the fault and its message (the figures of the report), and checks the message says what happened. */
    private static <T extends Throwable> T injected(T failure, String... mustMention) {
        faultsInjected++;
        System.out.println("fault injected -> " + failure.getClass().getSimpleName() + ": " + failure.getMessage());
        for (String part : mustMention) {
            assertTrue(failure.getMessage().contains(part), "the message should mention \"" + part + "\": " + failure.getMessage());
        }
        return failure;
    }

    private static Path fake(String fault) {
        String dir = System.getProperty("torchtpu.faults.pluginDir", "target/fake-plugins");
        Path plugin = Path.of(dir, "libfake_failing_pjrt_plugin_" + fault + ".so");
        assertTrue(Files.isRegularFile(plugin), "the fake plugin " + plugin + " was not built (build-fake-plugins.sh)");
        return plugin;
    }

    // ---- the plugin file ----

    @Test
    void aMissingPluginFile() {
        Path missing = temp.resolve("gone/pjrt_cpu.so");
        injected(assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(missing)),
                missing.toString(), "fetch-pjrt-cpu.sh");
    }

    @Test
    void aTruncatedPluginFileIsRefusedBeforeTheLoaderCanCrash() throws IOException {
        byte[] whole = Files.readAllBytes(real.path());
        // without the check before dlopen, every one of these cuts kills the JVM with SIGBUS
        for (long keep : new long[] {whole.length / 100, whole.length / 2, whole.length - 4096, whole.length - 1}) {
            Path cut = Files.write(temp.resolve("pjrt_cpu_cut_at_" + keep + ".so"), java.util.Arrays.copyOf(whole, (int) keep));
            injected(assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(cut)),
                    cut.toString(), "truncated", "refusing to load it");
        }
        Path headerOnly = Files.write(temp.resolve("pjrt_cpu_header_only.so"), java.util.Arrays.copyOf(whole, 40));
        injected(assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(headerOnly)), "truncated");
    }

    // ---- the plugin's entry points (fakes) ----

    @Test
    void getPjrtApiReturningNull() {
        Path plugin = fake("null_api");
        injected(assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(plugin)),
                plugin.getFileName().toString(), "GetPjrtApi returned NULL");
        // a second try gives the same answer, not a half-loaded plugin
        assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(plugin));
    }

    @Test
    void aPluginOfAnIncompatibleApiVersion() {
        Path plugin = fake("wrong_version");
        injected(assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(plugin)),
                "incompatible PJRT plugin", "0.1", PjrtPlugin.bridgeApiVersion()[0] + "." + PjrtPlugin.bridgeApiVersion()[1]);
    }

    @Test
    void aPluginWhoseInitializationFails() {
        PjrtPlugin plugin = PjrtPlugin.load(fake("initialize_fails"));
        PjrtException e = injected(assertThrows(PjrtException.class, plugin::initialize),
                "INTERNAL", "PJRT_Plugin_Initialize fails on purpose");
        assertEquals(PjrtErrorCode.INTERNAL, e.errorCode());
        assertFalse(plugin.isInitialized());
        // creating a client tries again and fails the same way, never with a crash
        injected(assertThrows(PjrtException.class, plugin::createClient), "PJRT_Plugin_Initialize");
    }

    @Test
    void aPluginThatFindsNoDevice() {
        PjrtPlugin plugin = PjrtPlugin.load(fake("client_create_fails"));
        PjrtException e = injected(assertThrows(PjrtException.class, plugin::createClient), "UNAVAILABLE", "no device");
        assertEquals(PjrtErrorCode.UNAVAILABLE, e.errorCode());
    }

    @Test
    void anExecuteThatFails() {
        try (PjrtClient client = PjrtPlugin.load(fake("execute_fails")).createClient();
             PjrtLoadedExecutable add = client.compile(ADD);
             PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4)) {
            for (int i = 0; i < 3; i++) {
                PjrtException e = injected(assertThrows(PjrtException.class, () -> add.execute(a, a)),
                        "RESOURCE_EXHAUSTED", "out of device memory");
                assertEquals(PjrtErrorCode.RESOURCE_EXHAUSTED, e.errorCode());
            }
            assertArrayEquals(new float[] {1, 2, 3, 4}, a.toFloatArray(), "the argument survives the failed execution");
        }
    }

    @Test
    void anExecutionWhoseCompletionEventReportsAnError() {
        try (PjrtClient client = PjrtPlugin.load(fake("execution_event_fails")).createClient();
             PjrtLoadedExecutable add = client.compile(ADD);
             PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4)) {
            for (int i = 0; i < 3; i++) {
                PjrtException e = injected(assertThrows(PjrtException.class, () -> add.execute(a, a)),
                        "INTERNAL", "failed execution", "the execution of");
                assertEquals(PjrtErrorCode.INTERNAL, e.errorCode());
            }
        }
    }

    // ---- the real plugin ----

    @Test
    void invalidStableHlo() {
        try (PjrtClient client = real.createClient()) {
            String broken = ADD.replace("stablehlo.add", "stablehlo.not_an_op");
            PjrtException e = injected(assertThrows(PjrtException.class, () -> client.compile(broken)), "not_an_op");
            assertTrue(e.code() > 0);
            String typeError = ADD.replace("%b: tensor<4xf32>", "%b: tensor<3xf32>");
            injected(assertThrows(PjrtException.class, () -> client.compile(typeError)));
            String truncated = ADD.substring(0, ADD.length() / 2);
            injected(assertThrows(PjrtException.class, () -> client.compile(truncated)));
        }
    }

    @Test
    void aDeviceAllocationTooLargeForMemory() {
        // 2^40 floats (4 TiB) made on the device: far past this machine's memory and its overcommit limit
        String huge = """
                module @huge {
                  func.func public @main(%x: tensor<f32>) -> tensor<1099511627776xf32> {
                    %0 = stablehlo.broadcast_in_dim %x, dims = [] : (tensor<f32>) -> tensor<1099511627776xf32>
                    return %0 : tensor<1099511627776xf32>
                  }
                }
                """;
        try (PjrtClient client = real.createClient(); PjrtLoadedExecutable exe = client.compile(huge);
             PjrtBuffer x = client.bufferFromHost(ByteBuffer.allocateDirect(4), PjrtElementType.F32)) {
            PjrtException e = injected(assertThrows(PjrtException.class, () -> exe.execute(x)), "RESOURCE_EXHAUSTED");
            assertEquals(PjrtErrorCode.RESOURCE_EXHAUSTED, e.errorCode());
        }
    }

    @Test
    void callsOnClosedHandles() {
        PjrtClient client = real.createClient();
        PjrtLoadedExecutable add = client.compile(ADD);
        PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4);
        PjrtBuffer b = client.buffer(new float[] {1, 2, 3, 4}, 4);
        b.close();
        injected(assertThrows(IllegalStateException.class, b::toFloatArray), "PjrtBuffer", "closed");
        injected(assertThrows(IllegalStateException.class, () -> add.execute(a, b)), "argument 1", "closed");
        add.close();
        injected(assertThrows(IllegalStateException.class, () -> add.execute(a, a)), "PjrtLoadedExecutable", "closed");
        injected(assertThrows(IllegalStateException.class, add::serialize), "closed");
        client.close();
        injected(assertThrows(IllegalStateException.class, a::toFloatArray), "closed", "PjrtClient");
        injected(assertThrows(IllegalStateException.class, () -> client.compile(ADD)), "PjrtClient", "closed");
        injected(assertThrows(IllegalStateException.class, () -> client.buffer(new float[] {1}, 1)), "closed");
        a.close();
        client.close();
    }

    @Test
    void anInterruptDuringAnAwait() throws Exception {
        // two devices make the XLA CPU client execute asynchronously, so the caller really waits on an event
        try (PjrtClient client = real.createClient(Map.of("asynchronous", true, "cpu_device_count", 2));
             PjrtLoadedExecutable slow = client.compile(Slow.PROGRAM, CompileOptions.defaults().withNumReplicas(2));
             PjrtBuffer x = client.bufferFromHost(ByteBuffer.allocateDirect(4), PjrtElementType.F32, new long[0],
                     slow.addressableDevices().get(0));
             PjrtBuffer y = client.bufferFromHost(ByteBuffer.allocateDirect(4), PjrtElementType.F32, new long[0],
                     slow.addressableDevices().get(1))) {
            Thread waiter = Thread.currentThread();
            Thread interrupter = new Thread(() -> {
                try {
                    Thread.sleep(200);
                    waiter.interrupt();
                } catch (InterruptedException ignored) {
                    // the test is over
                }
            });
            interrupter.start();
            long start = System.nanoTime();
            try {
                PjrtException e = injected(assertThrows(PjrtException.class,
                        () -> slow.executeReplicated(List.of(new PjrtBuffer[] {x}, new PjrtBuffer[] {y}))),
                        "CANCELLED", "interrupted while waiting");
                assertEquals(PjrtErrorCode.CANCELLED, e.errorCode());
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag is kept");
                assertTrue(System.nanoTime() - start < 5_000_000_000L, "the wait ended soon after the interrupt");
            } finally {
                Thread.interrupted();
                interrupter.join();
            }
        }
    }
}
