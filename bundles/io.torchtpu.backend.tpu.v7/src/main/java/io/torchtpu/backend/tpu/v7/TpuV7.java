package io.torchtpu.backend.tpu.v7;

import io.torchtpu.api.tpu.DescribedTpuGeneration;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * TPU7x (Ironwood): its published per-chip figures (each with its source, also in the bundle's SOURCES.md)
 * and its compile defaults. A bundle that claims v7 too with a higher service.ranking wins over this one.
 */
@Component(service = TpuGeneration.class, property = {TpuGeneration.GENERATION_PROPERTY + "=v7", "service.ranking:Integer=0"})
public final class TpuV7 extends DescribedTpuGeneration {
    static final String PAGE = "https://cloud.google.com/tpu/docs/tpu7x";

    private static final TpuFacts FACTS = new TpuFacts(2307, Double.NaN, 192, 7380, "256x256", 2, 2,
            List.of("3D torus"),
            List.of("2x2x1", "2x2x2", "2x2x4", "2x4x4", "4x4x4", "4x4x8", "4x8x8", "8x8x8"),
            Map.of("peakBf16Tflops", PAGE,
                    "peakInt8Tops", "not published: the TPU7x page lists bf16 (2307 TFLOPs) and FP8 (4614 TFLOPs), no int8 figure",
                    "hbmGiB", PAGE,
                    "hbmGBps", "https://cloud.google.com/tpu/docs/tpu7x",
                    "mxuShape", "https://cloud.google.com/tpu/docs/tpu7x",
                    "mxusPerCore", PAGE,
                    "coresPerChip", PAGE,
                    "iciTopologies", PAGE,
                    "sliceShapes", PAGE));

    public TpuV7() {
        // no compile defaults: the compiler's own are tuned per generation already
        super("v7", "tpu7x", List.of("TPU7x", "TPU v7x", "TPU v7"), "2x2x1", "TPU7x (Ironwood)", FACTS, Map.of());
    }
}
