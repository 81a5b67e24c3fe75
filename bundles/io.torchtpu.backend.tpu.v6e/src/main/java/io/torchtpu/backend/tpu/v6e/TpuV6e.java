package io.torchtpu.backend.tpu.v6e;

import io.torchtpu.api.tpu.DescribedTpuGeneration;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * TPU v6e (Trillium): its published per-chip figures (each with its source, also in the bundle's SOURCES.md)
 * and its compile defaults. A bundle that claims v6e too with a higher service.ranking wins over this one.
 */
@Component(service = TpuGeneration.class, property = {TpuGeneration.GENERATION_PROPERTY + "=v6e", "service.ranking:Integer=0"})
public final class TpuV6e extends DescribedTpuGeneration {
    static final String PAGE = "https://cloud.google.com/tpu/docs/v6e";

    private static final TpuFacts FACTS = new TpuFacts(918, 1836, 32, 1638, "256x256", 2, 1,
            List.of("2D torus"),
            List.of("1x1", "2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16"),
            Map.of("peakBf16Tflops", PAGE,
                    "peakInt8Tops", "https://cloud.google.com/tpu/docs/v6e",
                    "hbmGiB", PAGE,
                    "hbmGBps", "https://cloud.google.com/tpu/docs/v6e",
                    "mxuShape", "https://cloud.google.com/tpu/docs/v6e",
                    "mxusPerCore", PAGE,
                    "coresPerChip", PAGE,
                    "iciTopologies", PAGE,
                    "sliceShapes", PAGE));

    public TpuV6e() {
        // no compile defaults: the compiler's own are tuned per generation already
        super("v6e", "v6e", List.of("TPU v6 lite", "TPU v6e"), "2x2", "TPU v6e (Trillium)", FACTS, Map.of());
    }
}
