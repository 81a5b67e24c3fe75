package io.torchtpu.backend.tpu.v4;

import io.torchtpu.api.tpu.DescribedTpuGeneration;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * TPU v4: its published per-chip figures (each with its source, also in the bundle's SOURCES.md)
 * and its compile defaults. A bundle that claims v4 too with a higher service.ranking wins over this one.
 */
@Component(service = TpuGeneration.class, property = {TpuGeneration.GENERATION_PROPERTY + "=v4", "service.ranking:Integer=0"})
public final class TpuV4 extends DescribedTpuGeneration {
    static final String PAGE = "https://cloud.google.com/tpu/docs/v4";

    private static final TpuFacts FACTS = new TpuFacts(275, 275, 32, 1200, "128x128", 4, 2,
            List.of("3D mesh", "3D torus (twisted tori on 4x4x8, 4x8x8 ...)"),
            List.of("2x2x1", "2x2x2", "2x2x4", "2x4x4", "4x4x4", "4x4x8", "4x8x8", "8x8x8"),
            Map.of("peakBf16Tflops", PAGE,
                    "peakInt8Tops", "https://cloud.google.com/tpu/docs/v4",
                    "hbmGiB", PAGE,
                    "hbmGBps", "https://cloud.google.com/tpu/docs/v4",
                    "mxuShape", "https://cloud.google.com/tpu/docs/system-architecture-tpu-vm",
                    "mxusPerCore", PAGE,
                    "coresPerChip", PAGE,
                    "iciTopologies", PAGE,
                    "sliceShapes", PAGE));

    public TpuV4() {
        // no compile defaults: the compiler's own are tuned per generation already
        super("v4", "v4", List.of("TPU v4"), "2x2x1", "TPU v4", FACTS, Map.of());
    }
}
