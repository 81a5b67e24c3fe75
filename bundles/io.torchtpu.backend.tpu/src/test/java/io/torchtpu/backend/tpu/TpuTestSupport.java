package io.torchtpu.backend.tpu;

import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.backend.tpu.v4.TpuV4;
import io.torchtpu.backend.tpu.v5e.TpuV5e;
import io.torchtpu.backend.tpu.v5p.TpuV5p;
import io.torchtpu.backend.tpu.v6e.TpuV6e;
import io.torchtpu.backend.tpu.v7.TpuV7;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.nio.file.Files;
import java.util.List;

/** The real libtpu (the build fetched it); a missing one fails the tests, naming the script. */
final class TpuTestSupport {
    private TpuTestSupport() {
    }

    static final List<TpuGeneration> GENERATIONS = List.of(new TpuV4(), new TpuV5e(), new TpuV5p(), new TpuV6e(), new TpuV7());

    static PjrtPlugin libtpu() {
        if (!Files.isRegularFile(Libtpu.defaultPath())) {
            throw new AssertionError("libtpu is missing at " + Libtpu.defaultPath() + "; run " + Libtpu.FETCH_SCRIPT);
        }
        return Libtpu.load("", false);
    }

    static TpuGeneration generation(String name) {
        return GENERATIONS.stream().filter(g -> g.generation().equals(name)).findFirst().orElseThrow();
    }

    /** A two-layer MLP in bf16: x[128,1024] . w1[1024,4096] -> relu -> . w2[4096,1024]. */
    static final String MLP = """
            module @mlp {
              func.func public @main(%x: tensor<128x1024xbf16>, %w1: tensor<1024x4096xbf16>, %w2: tensor<4096x1024xbf16>) -> tensor<128x1024xbf16> {
                %h = stablehlo.dot_general %x, %w1, contracting_dims = [1] x [0] : (tensor<128x1024xbf16>, tensor<1024x4096xbf16>) -> tensor<128x4096xbf16>
                %zero = stablehlo.constant dense<0.0> : tensor<128x4096xbf16>
                %r = stablehlo.maximum %h, %zero : tensor<128x4096xbf16>
                %y = stablehlo.dot_general %r, %w2, contracting_dims = [1] x [0] : (tensor<128x4096xbf16>, tensor<4096x1024xbf16>) -> tensor<128x1024xbf16>
                return %y : tensor<128x1024xbf16>
              }
            }
            """;

    /** 2 x 128 x 1024 x 4096 multiply-adds, 2 FLOPs each. */
    static final double MLP_MATMUL_FLOPS = 2.0 * 2 * 128 * 1024 * 4096;

    static final long MLP_ARGUMENT_BYTES = 2L * (128 * 1024 + 1024 * 4096 + 4096 * 1024);

    /** An f32 elementwise program over 65536 x 40000 elements (9.8 GiB in, 9.8 GiB out). */
    static final String TEN_GIB = """
            module @big {
              func.func public @main(%x: tensor<65536x40000xf32>) -> tensor<65536x40000xf32> {
                %0 = stablehlo.add %x, %x : tensor<65536x40000xf32>
                return %0 : tensor<65536x40000xf32>
              }
            }
            """;
}
