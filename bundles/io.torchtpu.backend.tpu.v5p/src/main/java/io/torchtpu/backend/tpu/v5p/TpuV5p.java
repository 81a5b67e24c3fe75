package io.torchtpu.backend.tpu.v5p;

import io.torchtpu.api.tpu.DescribedTpuGeneration;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * TPU v5p: its published per-chip figures (each with its source, also in the bundle's SOURCES.md)
 * and its compile defaults. A bundle that claims v5p too with a higher service.ranking wins over this one.
 */
@Component(service = TpuGeneration.class, property = {TpuGeneration.GENERATION_PROPERTY + "=v5p", "service.ranking:Integer=0"})
public final class TpuV5p extends DescribedTpuGeneration {
    static final String PAGE = "https://cloud.google.com/tpu/docs/v5p";

    private static final TpuFacts FACTS = new TpuFacts(459, Double.NaN, 95, 2765, "128x128", 4, 2,
            List.of("3D torus", "twisted 3D torus (4x4x8, 4x8x8 ...)"),
            List.of("2x2x1", "2x2x2", "2x4x4", "4x4x4", "4x4x8", "4x8x8", "8x8x8", "8x8x16", "8x16x16", "16x16x16", "16x16x24"),
            Map.of("peakBf16Tflops", PAGE,
                    "peakInt8Tops", "not published: the v5p page lists bf16 and FP8 (459 TFLOPs each), no int8 figure",
                    "hbmGiB", PAGE,
                    "hbmGBps", "https://cloud.google.com/tpu/docs/v5p",
                    "mxuShape", "https://cloud.google.com/tpu/docs/system-architecture-tpu-vm",
                    "mxusPerCore", PAGE,
                    "coresPerChip", PAGE,
                    "iciTopologies", PAGE,
                    "sliceShapes", PAGE));

    public TpuV5p() {
        // no compile defaults: the compiler's own are tuned per generation already
        super("v5p", "v5p", List.of("TPU v5"), "2x2x1", "TPU v5p", FACTS, Map.of());
    }
}
