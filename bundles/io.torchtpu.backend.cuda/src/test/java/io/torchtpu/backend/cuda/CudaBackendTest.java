package io.torchtpu.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.BackendUnavailableException;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without the plugin or a GPU (CI never fetches the NVIDIA wheels) the backend names the missing piece. */
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
}
