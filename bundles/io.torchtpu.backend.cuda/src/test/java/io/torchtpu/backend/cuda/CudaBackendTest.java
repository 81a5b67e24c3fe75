package io.torchtpu.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.BackendUnavailableException;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the plugin, a GPU, the driver or the runtime libraries (CI never fetches the NVIDIA wheels) the backend names
 * each missing piece and what provides it. Plugin folders are laid out as fetch-pjrt-cuda.sh lays them out.
 */
class CudaBackendTest {
    @TempDir Path tmp;

    private static CudaBackend.Config config(String plugin) {
        return new CudaBackend.Config() {
            @Override public Class<? extends Annotation> annotationType() { return CudaBackend.Config.class; }
            @Override public String plugin() { return plugin; }
            @Override public String alternative() { return "cpu"; }
        };
    }

    @Test
    void aMissingPluginNamesTheFetchScriptAndTheAlternative() {
        CudaBackend backend = new CudaBackend();
        backend.activate(config(tmp.resolve("pjrt_cuda.so").toString()));
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, backend::runtime);
        assertTrue(e.getMessage().contains("fetch-pjrt-cuda.sh") && e.getMessage().contains("backend cpu"), e.getMessage());
        assertTrue(backend.description().contains("unavailable"), backend.description());
    }

    @Test
    void theDiagnosisNamesTheGpuDriverAndRuntimeLibrariesItLookedFor() {
        String m = CudaBackend.diagnose(tmp.resolve("jax-cuda12-pjrt-0.11.2/xla_cuda_plugin.so"), "No visible GPU devices.", "cpu");
        assertTrue(m.contains("/dev/nvidia") && m.contains("libcuda.so.1") && m.contains("libcudart.so.12"), m);
        assertTrue(m.contains("Missing: ") && m.endsWith("Use the backend cpu instead"), m);
        assertTrue(!m.contains(".."), m);
    }

    /** A plugin installed as fetch-pjrt-cuda.sh installs it, with the runtime libraries of the given wheel folders. */
    private Path plugin(String... wheelFolders) throws IOException {
        Path plugin = Files.createDirectories(tmp.resolve("plugins/jax-cuda12-pjrt-0.11.2")).resolve("xla_cuda_plugin.so");
        Files.writeString(plugin, "");
        for (String folder : wheelFolders) {
            Path lib = Files.createDirectories(tmp.resolve("plugins/nvidia").resolve(folder).resolve("lib"));
            Files.writeString(lib.resolve(CudaBackend.RUNTIME_LIBRARIES.get(folder)), "");
        }
        return plugin;
    }

    private Path driverDirectory() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("driver"));
        Files.writeString(dir.resolve("libcuda.so.1"), "");
        return dir;
    }

    @Test
    void onAMachineWithAGpuAndItsDriverTheMissingRuntimeLibrariesAreNamedWithTheirWheels() throws IOException {
        Path plugin = plugin("cublas", "cufft", "cusolver", "cusparse", "nccl");
        CudaBackend.Machine machine = new CudaBackend.Machine(List.of("/dev/nvidia0"), List.of(driverDirectory()));
        String m = CudaBackend.diagnose(plugin, "INTERNAL: libcudart.so.12: cannot open shared object file: No such file or directory",
                "cpu", machine);
        Path nvidia = tmp.resolve("plugins/nvidia").toRealPath();
        assertTrue(m.contains("found /dev/nvidia0, for the driver libcuda.so.1 and found " + tmp.resolve("driver/libcuda.so.1")), m);
        assertTrue(m.contains("said: INTERNAL: libcudart.so.12: cannot open shared object file: No such file or directory."), m);
        assertTrue(m.endsWith(". Missing: the runtime libraries libcudart.so.12 (wheel nvidia-cuda-runtime-cu12), libcudnn.so.9"
                + " (wheel nvidia-cudnn-cu12) under " + nvidia + ": install those wheels there"
                + " (runtime-launcher/scripts/fetch-pjrt-cuda.sh installs them all). Use the backend cpu instead"), m);
    }

    @Test
    void withoutTheDriverTheMessageSaysThatNoWheelProvidesLibcuda() throws IOException {
        Path plugin = plugin(CudaBackend.RUNTIME_LIBRARIES.keySet().toArray(String[]::new));
        Path empty = Files.createDirectories(tmp.resolve("no-driver"));
        String m = CudaBackend.diagnose(plugin, "FAILED_PRECONDITION: No visible GPU devices.", "cpu",
                new CudaBackend.Machine(List.of("/dev/nvidia0"), List.of(empty)));
        assertTrue(m.contains("for the runtime libraries under " + tmp.resolve("plugins/nvidia").toRealPath() + " and found all"), m);
        assertTrue(m.endsWith(". Missing: the driver's libcuda.so.1 (looked in " + empty + "): install the NVIDIA driver, 525 or"
                + " newer for CUDA 12; no wheel provides it. Use the backend cpu instead"), m);
    }

    /** The real jax-cuda12-pjrt plugin without its NVIDIA wheels, where fetch-pjrt-cuda.sh's plugin is (never in CI). */
    @Test
    void theRealPluginWithoutItsRuntimeLibrariesNamesEachMissingPiece() {
        Path real = CudaBackend.defaultPath();
        Assumptions.assumeTrue(Files.isRegularFile(real), "no CUDA plugin at " + real);
        Assumptions.assumeFalse(Files.isDirectory(real.getParent().resolve("nvidia")), "the NVIDIA wheels are installed");
        CudaBackend backend = new CudaBackend();
        backend.activate(config(""));
        try {
            String m = assertThrows(BackendUnavailableException.class, backend::runtime).getMessage();
            System.out.println(m);
            assertTrue(m.contains("libcudart.so.12 (wheel nvidia-cuda-runtime-cu12)") && m.contains("libcudnn.so.9 (wheel nvidia-cudnn-cu12)"), m);
            assertTrue(m.contains("the plugin " + real + " said: "), m);
            assertEquals(CudaBackend.Machine.probe().driver().isEmpty(), m.contains("install the NVIDIA driver"), m);
        } finally {
            backend.deactivate();
        }
    }
}
