package io.torchtpu.backend.tpu.v5e;

import io.torchtpu.api.tpu.DescribedTpuGeneration;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * TPU v5e: its published per-chip figures (each with its source, also in the bundle's SOURCES.md)
 * and its compile defaults. A bundle that claims v5e too with a higher service.ranking wins over this one.
 */
@Component(service = TpuGeneration.class, property = {TpuGeneration.GENERATION_PROPERTY + "=v5e", "service.ranking:Integer=0"})
public final class TpuV5e extends DescribedTpuGeneration {
    static final String PAGE = "https://cloud.google.com/tpu/docs/v5e";

    private static final TpuFacts FACTS = new TpuFacts(197, 393, 16, 819, "128x128", 4, 1,
            List.of("2D torus"),
            List.of("1x1", "2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16"),
            Map.of("peakBf16Tflops", PAGE,
                    "peakInt8Tops", "https://cloud.google.com/tpu/docs/v5e",
                    "hbmGiB", PAGE,
                    "hbmGBps", "https://cloud.google.com/tpu/docs/v5e (published as 800 GiBps (819 GB/s))",
                    "mxuShape", "https://cloud.google.com/tpu/docs/system-architecture-tpu-vm",
                    "mxusPerCore", PAGE,
                    "coresPerChip", PAGE,
                    "iciTopologies", PAGE,
                    "sliceShapes", PAGE));

    public TpuV5e() {
        // no compile defaults: the compiler's own are tuned per generation already
        super("v5e", "v5e", List.of("TPU v5 lite", "TPU v5e"), "2x2", "TPU v5e", FACTS, Map.of());
    }
}
