package io.torchtpu.backend.tpu;

import io.torchtpu.api.tpu.RooflineEstimate;
import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.runtime.pjrt.CompileOptions;
import io.torchtpu.runtime.pjrt.CompiledMemoryStats;
import io.torchtpu.runtime.pjrt.PjrtDeviceDescription;
import io.torchtpu.runtime.pjrt.PjrtExecutable;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtTopology;
import java.util.Map;

/**
 * Ahead-of-time compilation for a TPU slice without chips: libtpu's topology description of the target,
 * PJRT_Compile against it, then the executable's compiled memory statistics and cost analysis, and the
 * generation's facts turning them into a roofline estimate of one step.
 */
public final class AotCompiler {
    private final PjrtPlugin libtpu;

    public AotCompiler(PjrtPlugin libtpu) {
        this.libtpu = libtpu;
    }

    /**
     * What one compile produced.
     *
     * @param topology libtpu's topology name, such as {@code v5e:2x2}
     * @param devices how many devices the topology has
     * @param deviceKind their PJRT kind, such as {@code TPU v5 lite}
     * @param hbmBytesPerDevice the device memory limit libtpu compiles against
     * @param serialized the executable as PJRT_Executable_Serialize wrote it
     * @param generation the generation whose compile defaults and figures were used
     */
    public record Result(String target, String topology, int devices, String deviceKind, long hbmBytesPerDevice,
            byte[] serialized, CompiledMemoryStats memory, Map<String, Object> cost, RooflineEstimate roofline,
            TpuGeneration generation) {

        public double flops() {
            return number(cost.get("flops"));
        }

        public double bytesAccessed() {
            return number(cost.get("bytes accessed"));
        }

        private static double number(Object value) {
            return value instanceof Number n ? n.doubleValue() : Double.NaN;
        }

        /** The lines torchtpu:compile prints. */
        public String report() {
            StringBuilder out = new StringBuilder();
            out.append(String.format("target %s: libtpu topology %s, %d device(s) of kind %s, %.2f GiB HBM each%n", target,
                    topology, devices, deviceKind, hbmBytesPerDevice / (double) (1L << 30)));
            out.append(String.format("executable: %,d bytes serialized%s%n", serialized.length,
                    generation.compileDefaults().isEmpty() ? "" : ", compiled with " + generation.generation()
                            + "'s defaults " + new java.util.TreeMap<>(generation.compileDefaults())));
            out.append(String.format("HBM per device: arguments %s, outputs %s (aliased %s), temporaries %s, code %s; total %s%s%n",
                    bytes(memory.argumentBytes()), bytes(memory.outputBytes()), bytes(memory.aliasBytes()),
                    bytes(memory.tempBytes()), bytes(memory.codeBytes()), bytes(memory.totalDeviceBytes()),
                    memory.peakBytes() >= 0 ? ", peak " + bytes(memory.peakBytes()) : ""));
            out.append(String.format("cost: %.4g FLOPs, %.4g bytes accessed%s%n", flops(), bytesAccessed(),
                    number(cost.get("optimal_seconds")) > 0 ? String.format(", XLA's own estimate %.3g s", number(cost.get("optimal_seconds"))) : ""));
            // the figures the estimate rests on, so that a reader sees which generation's facts it used
            out.append(String.format("%s (from %s's figures: %.0f bf16 TFLOP/s, %.0f GB/s HBM per chip)%n", roofline,
                    generation.generation(), generation.facts().peakBf16Tflops(), generation.facts().hbmGBps()));
            return out.toString();
        }

        static String bytes(long b) {
            if (b < 1024) {
                return b + " B";
            }
            if (b < (1L << 20)) {
                return String.format("%.1f KiB", b / 1024.0);
            }
            if (b < (1L << 30)) {
                return String.format("%.1f MiB", b / (double) (1L << 20));
            }
            return String.format("%.2f GiB", b / (double) (1L << 30));
        }
    }

    /**
     * Compiles StableHLO text for one device of the target slice (one replica, one partition).
     *
     * @throws io.torchtpu.runtime.pjrt.PjrtException with the compiler's message, e.g. RESOURCE_EXHAUSTED
     *     "Ran out of memory on HBM" for a program larger than a device's memory, or libtpu's message for a
     *     slice shape it does not know
     */
    public Result compile(String stableHlo, TpuGeneration generation, TpuTarget target) {
        String slice = target.slice() != null ? target.slice() : generation.defaultSlice();
        String topologyName = generation.topologyName() + ":" + slice;
        CompileOptions options = CompileOptions.defaults();
        for (Map.Entry<String, Object> e : generation.compileDefaults().entrySet()) {
            options = options.withOverride(e.getKey(), e.getValue());
        }
        try (PjrtTopology topology = libtpu.createTopology(topologyName, Map.of());
                PjrtExecutable executable = topology.compile(stableHlo, options)) {
            PjrtDeviceDescription device = topology.devices().get(0);
            long hbm = device.attributes().get("device_memory_bytes_limit") instanceof Long l ? l : -1;
            // a device is a whole chip unless libtpu splits a chip's TensorCores into devices (v4 without megacore)
            long coresOfDevice = device.attributes().get("num_cores") instanceof Long n ? n : 1;
            double chipsPerDevice = Math.min(1.0, coresOfDevice / (double) generation.facts().coresPerChip());
            CompiledMemoryStats memory = executable.memoryStats();
            Map<String, Object> cost = executable.costAnalysis();
            Result partial = new Result(new TpuTarget(generation.generation(), slice).toString(), topologyName,
                    topology.devices().size(), device.kind(), hbm, executable.serialize(), memory, cost, null, generation);
            RooflineEstimate roofline = RooflineEstimate.of(generation.facts(), partial.flops(), partial.bytesAccessed(),
                    chipsPerDevice);
            return new Result(partial.target(), topologyName, partial.devices(), device.kind(), hbm, partial.serialized(),
                    memory, cost, roofline, generation);
        }
    }
}
