package io.torchtpu.api.tpu;

/**
 * A lower bound on one step's time from the roofline model: the program can go no faster than its
 * FLOPs at the chips' peak compute, nor than its bytes at their HBM bandwidth. Communication, launch
 * overhead and imperfect MXU use make real steps slower.
 *
 * @param computeSeconds FLOPs over peak bf16 compute
 * @param memorySeconds bytes accessed over HBM bandwidth
 * @param arithmeticIntensity FLOPs per byte accessed
 * @param ridgeIntensity the intensity above which the chip is compute-bound (peak FLOP/s over B/s)
 */
public record RooflineEstimate(double flops, double bytesAccessed, double computeSeconds, double memorySeconds,
        double arithmeticIntensity, double ridgeIntensity) {

    /**
     * @param flops and bytesAccessed: per device, as a compiler's cost analysis reports them
     * @param chipsPerDevice the fraction of a chip one device is (1 when a device is a whole chip, 0.5 when
     *     it is one of two TensorCores)
     */
    public static RooflineEstimate of(TpuFacts facts, double flops, double bytesAccessed, double chipsPerDevice) {
        double peakFlops = facts.peakBf16Tflops() * 1e12 * chipsPerDevice;
        double bandwidth = facts.hbmGBps() * 1e9 * chipsPerDevice;
        return new RooflineEstimate(flops, bytesAccessed, flops / peakFlops, bytesAccessed / bandwidth,
                bytesAccessed > 0 ? flops / bytesAccessed : Double.POSITIVE_INFINITY, peakFlops / bandwidth);
    }

    /** The larger of the two bounds. */
    public double stepSeconds() {
        return Math.max(computeSeconds, memorySeconds);
    }

    /** {@code compute} or {@code memory}: which bound decides. */
    public String bound() {
        return computeSeconds >= memorySeconds ? "compute" : "memory";
    }

    @Override
    public String toString() {
        return String.format("roofline step >= %.3g s (%s-bound: compute %.3g s, memory %.3g s; %.1f FLOP/B vs ridge %.1f)",
                stepSeconds(), bound(), computeSeconds, memorySeconds, arithmeticIntensity, ridgeIntensity);
    }
}
