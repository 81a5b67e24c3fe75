package io.torchtpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CompileOptionsConfigTest {

    @Test
    void optionsAreTypedAndSortedSoThatTheCacheKeyIsStable() {
        Map<String, Object> options = EngineComponent.parseCompileOptions(
                new String[] {"xla_cpu_multi_thread_eigen = false", "num_replicas=1", "xla_cpu_strict_dot_conv_math=  x"});
        assertEquals(Map.of("num_replicas", 1L, "xla_cpu_multi_thread_eigen", false, "xla_cpu_strict_dot_conv_math", "x"), options);
        assertEquals("{num_replicas=1, xla_cpu_multi_thread_eigen=false, xla_cpu_strict_dot_conv_math=x}", options.toString());
        assertEquals("{}", EngineComponent.parseCompileOptions(new String[0]).toString(), "no options keep the keys of existing cache entries");
    }

    @Test
    void aLineWithoutANameIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> EngineComponent.parseCompileOptions(new String[] {"=true"}));
        assertThrows(IllegalArgumentException.class, () -> EngineComponent.parseCompileOptions(new String[] {"novalue"}));
    }
}
