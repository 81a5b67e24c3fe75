package com.example.tpuvendor;

import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * A vendor's TPU generation descriptor: {@code v5lite-vendor}, a fictional board built on TPU v5e (v5 lite) chips.
 * Its chip figures are v5e's published ones (sources below and in SOURCES.md); libtpu knows the chips as
 * {@code v5e}, so ahead-of-time targets such as {@code tpu-v5lite-vendor:2x2} compile for v5e slices. The vendor's
 * own compile default is its only difference, which is how an operator tells it from the core v5e bundle.
 */
@Component(property = {TpuGeneration.GENERATION_PROPERTY + "=" + TpuV5LiteVendor.GENERATION, "service.ranking:Integer=0"})
public final class TpuV5LiteVendor implements TpuGeneration {
    static final String GENERATION = "v5lite-vendor";
    private static final String PAGE = "https://cloud.google.com/tpu/docs/v5e";

    private static final TpuFacts FACTS = new TpuFacts(197, 393, 16, 819, "128x128", 4, 1,
            List.of("2D torus"),
            List.of("1x1", "2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16"),
            Map.of("peakBf16Tflops", PAGE, "peakInt8Tops", PAGE, "hbmGiB", PAGE, "hbmGBps", PAGE,
                    "mxuShape", "https://cloud.google.com/tpu/docs/system-architecture-tpu-vm",
                    "mxusPerCore", "https://cloud.google.com/tpu/docs/system-architecture-tpu-vm",
                    "coresPerChip", PAGE, "iciTopologies", PAGE, "sliceShapes", PAGE));

    @Override
    public String generation() {
        return GENERATION;
    }

    @Override
    public String topologyName() {
        return "v5e";
    }

    @Override
    public List<String> deviceKinds() {
        return List.of("TPU v5 lite vendor board");
    }

    @Override
    public TpuFacts facts() {
        return FACTS;
    }

    @Override
    public String defaultSlice() {
        return "2x2";
    }

    @Override
    public Map<String, Object> compileDefaults() {
        return Map.of("xla_tpu_enable_latency_hiding_scheduler", Boolean.TRUE);
    }

    @Override
    public String toString() {
        return "TPU v5lite-vendor (example vendor board on v5e chips)";
    }
}
