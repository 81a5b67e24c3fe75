package io.torchtpu.api.tpu;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Published figures of one TPU chip. A figure the vendor does not publish is {@code NaN}, and its
 * source says so.
 *
 * @param peakBf16Tflops peak dense bf16 compute per chip, in 10^12 FLOP/s
 * @param peakInt8Tops peak int8 compute per chip, in 10^12 OP/s
 * @param hbmGiB HBM capacity per chip, GiB as published
 * @param hbmGBps HBM bandwidth per chip, 10^9 B/s
 * @param mxuShape the matrix unit's systolic array, such as {@code 128x128}
 * @param mxusPerCore matrix units per TensorCore
 * @param coresPerChip TensorCores per chip
 * @param iciTopologies the interconnect's forms, such as {@code 2D torus}
 * @param sliceShapes slice shapes the vendor lists, such as {@code 2x2}
 * @param sources for each figure's name (the component names above), the public page it comes from
 */
public record TpuFacts(double peakBf16Tflops, double peakInt8Tops, double hbmGiB, double hbmGBps, String mxuShape,
        int mxusPerCore, int coresPerChip, List<String> iciTopologies, List<String> sliceShapes,
        Map<String, String> sources) {

    public TpuFacts {
        Objects.requireNonNull(mxuShape, "mxuShape");
        iciTopologies = List.copyOf(iciTopologies);
        sliceShapes = List.copyOf(sliceShapes);
        sources = Map.copyOf(sources);
        if (!(peakBf16Tflops > 0) || !(hbmGBps > 0) || !(hbmGiB > 0) || coresPerChip < 1) {
            throw new IllegalArgumentException("peak bf16 compute, HBM size and bandwidth and cores per chip must be"
                    + " positive");
        }
    }

    /** HBM per chip in bytes. */
    public long hbmBytes() {
        return (long) (hbmGiB * (1L << 30));
    }
}
