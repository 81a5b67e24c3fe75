package io.torchtpu.backend.tpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.runtime.pjrt.PjrtErrorCode;
import io.torchtpu.runtime.pjrt.PjrtException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Deviceless compilation with the real libtpu, for every generation: no chips needed. */
class AotCompilerTest {
    private final AotCompiler compiler = new AotCompiler(TpuTestSupport.libtpu());

    @ParameterizedTest
    @ValueSource(strings = {"v4", "v5e", "v5p", "v6e", "v7"})
    void compilesAnMlpForTheDefaultSliceOfEveryGeneration(String name) {
        TpuGeneration generation = TpuTestSupport.generation(name);
        AotCompiler.Result result = compiler.compile(TpuTestSupport.MLP, generation, TpuTarget.parse("tpu-" + name));
        System.out.print(result.report());
        assertTrue(generation.deviceKinds().contains(result.deviceKind()), result.deviceKind());
        assertEquals(TpuTestSupport.MLP_ARGUMENT_BYTES, result.memory().argumentBytes(), result.memory().toString());
        assertEquals(2L * 128 * 1024, result.memory().outputBytes(), result.memory().toString());
        // the matmuls dominate; the ReLU adds one FLOP per element of h
        assertEquals(TpuTestSupport.MLP_MATMUL_FLOPS + 128 * 4096, result.flops(), 0.01 * TpuTestSupport.MLP_MATMUL_FLOPS);
        assertTrue(result.bytesAccessed() >= TpuTestSupport.MLP_ARGUMENT_BYTES, result.cost().toString());
        assertTrue(result.roofline().stepSeconds() > 0 && result.roofline().stepSeconds() < 1e-2, result.roofline().toString());
        assertTrue(result.serialized().length > 1000);
        assertTrue(result.hbmBytesPerDevice() > 0 && result.hbmBytesPerDevice() <= 1.1 * generation.facts().hbmBytes(),
                result.hbmBytesPerDevice() + " vs " + generation.facts().hbmBytes());
    }

    @Test
    void aNamedSliceShapeGivesThatManyDevices() {
        AotCompiler.Result result = compiler.compile(TpuTestSupport.MLP, TpuTestSupport.generation("v5e"),
                TpuTarget.parse("tpu-v5e:4x4"));
        assertEquals(16, result.devices());
        assertEquals("v5e:4x4", result.topology());
    }

    @Test
    void aProgramTooLargeForV5eHbmFailsWithTheCompilersOutOfMemoryMessageAndFitsV5p() {
        PjrtException e = assertThrows(PjrtException.class, () -> compiler.compile(TpuTestSupport.TEN_GIB,
                TpuTestSupport.generation("v5e"), TpuTarget.parse("tpu-v5e:2x2")));
        System.out.println("v5e, 19.5 GiB program: " + e.getMessage());
        assertEquals(PjrtErrorCode.RESOURCE_EXHAUSTED, e.errorCode(), e.toString());
        assertTrue(e.getMessage().contains("Ran out of memory") || e.getMessage().contains("HBM"), e.getMessage());
        AotCompiler.Result v5p = compiler.compile(TpuTestSupport.TEN_GIB, TpuTestSupport.generation("v5p"),
                TpuTarget.parse("tpu-v5p:2x2x1"));
        assertTrue(v5p.memory().totalDeviceBytes() > 16L << 30, v5p.memory().toString());
    }

    @Test
    void aSliceShapeLibtpuDoesNotKnowFailsWithItsMessage() {
        PjrtException e = assertThrows(PjrtException.class, () -> compiler.compile(TpuTestSupport.MLP,
                TpuTestSupport.generation("v5e"), TpuTarget.parse("tpu-v5e:3x7x5")));
        assertTrue(!e.getMessage().isBlank(), e.toString());
        System.out.println("v5e:3x7x5: " + e.getMessage());
    }

    @Test
    void targetsParse() {
        assertEquals(new TpuTarget("v5e", "2x2"), TpuTarget.parse("tpu-v5e:2x2"));
        assertEquals(new TpuTarget("v4", "2x2x1"), TpuTarget.parse("v4:2x2x1"));
        assertEquals(new TpuTarget("v7", null), TpuTarget.parse("tpu-v7"));
        // a vendor's generation name may hold hyphens
        assertEquals(new TpuTarget("v5lite-vendor", "2x2"), TpuTarget.parse("v5lite-vendor:2x2"));
        assertEquals(new TpuTarget("v5lite-vendor", null), TpuTarget.parse("tpu-v5lite-vendor"));
        assertThrows(IllegalArgumentException.class, () -> TpuTarget.parse("v5lite--vendor:2x2"));
        assertThrows(IllegalArgumentException.class, () -> TpuTarget.parse("-v5e:2x2"));
        assertThrows(IllegalArgumentException.class, () -> TpuTarget.parse("v5e 2x2"));
        assertThrows(IllegalArgumentException.class, () -> TpuTarget.parse("tpu-v5e:2by2"));
    }
}
