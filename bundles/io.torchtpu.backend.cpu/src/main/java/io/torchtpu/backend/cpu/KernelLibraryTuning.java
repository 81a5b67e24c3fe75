package io.torchtpu.backend.cpu;

import io.torchtpu.api.Device;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CPU runtime that compiles each program with matrix products or convolutions twice, with and without the
 * YNNPACK kernels XLA's CPU backend uses for them by default, runs both in turns on zero-filled arguments held
 * on the device and keeps the faster.
 *
 * <p>Why: neither wins everywhere. Measured with {@code torchtpu bench} on 2 cores: YNNPACK ran BERT's batch-1
 * products 2.4x faster than XLA's own (Eigen) kernels, Eigen its batch-32 products 11% faster, and ResNet-18
 * and MobileNetV2 at batch 1 1.5x faster. The choice is one compile option, so it is made per program, once:
 * a compile cache stores the winner.
 */
final class KernelLibraryTuning implements Runtime {
    private static final Logger LOG = LoggerFactory.getLogger(KernelLibraryTuning.class);
    /** XLA's debug option listing the op kinds it hands to YNNPACK; a caller that sets it has chosen already. */
    static final String YNN_OPTION = "xla_cpu_experimental_ynn_fusion_type";
    /**
     * The option's value that hands YNNPACK only reductions, so that products and convolutions get XLA's own
     * kernels (an empty list, LIBRARY_FUSION_TYPE_INVALID, does the same but logs an error on every compile).
     */
    static final String WITHOUT_YNN = "LIBRARY_FUSION_TYPE_REDUCE";
    /** Programs whose arguments are larger than this are not tuned: the zero-filled copies would double their memory. */
    private static final long MAX_ARGUMENT_BYTES = 1L << 30;
    private static final int WARMUP_RUNS = 5;
    private static final int TIMED_RUNS = 15;
    /** A slow program gets fewer timed runs within this, but at least three each. */
    private static final long TIMING_BUDGET_NANOS = 1_000_000_000L;

    private final Runtime runtime;
    private final String backendId;

    KernelLibraryTuning(Runtime runtime, String backendId) {
        this.runtime = runtime;
        this.backendId = backendId;
    }

    /** Whether a program has the ops the kernel library choice concerns. */
    static boolean worthTuning(String stableHlo, Map<String, Object> options) {
        return !options.containsKey(YNN_OPTION)
                && (stableHlo.contains("stablehlo.dot") || stableHlo.contains("stablehlo.convolution"));
    }

    @Override
    public Executable compile(String stableHlo, Map<String, Object> options) {
        Executable withYnn = runtime.compile(stableHlo, options);
        if (!worthTuning(stableHlo, options) || argumentBytes(withYnn) > MAX_ARGUMENT_BYTES) {
            return withYnn;
        }
        Executable withoutYnn = null;
        try {
            Map<String, Object> without = new LinkedHashMap<>(options);
            without.put(YNN_OPTION, WITHOUT_YNN);
            withoutYnn = runtime.compile(stableHlo, without);
            double ynnMillis;
            double eigenMillis;
            List<DeviceBuffer> arguments = new ArrayList<>();
            try {
                // on the device, as a served model's weights are: the copies in would add the same time to both
                // and, for a large model, drown the difference in noise
                for (TensorType type : withYnn.inputTypes()) {
                    arguments.add(runtime.upload(HostTensor.allocate(type)));
                }
                double[] fastest = fastestRunsMillis(withYnn, withoutYnn, arguments);
                ynnMillis = fastest[0];
                eigenMillis = fastest[1];
            } finally {
                arguments.forEach(DeviceBuffer::close);
            }
            boolean keepYnn = ynnMillis <= eigenMillis;
            LOG.info("backend {}: a program ran in {} ms with XLA's YNNPACK kernels and in {} ms with its own: keeping {}",
                    backendId, String.format("%.3f", ynnMillis), String.format("%.3f", eigenMillis), keepYnn ? "YNNPACK" : "its own");
            Executable loser = keepYnn ? withoutYnn : withYnn;
            loser.close();
            return keepYnn ? withYnn : withoutYnn;
        } catch (RuntimeException e) {
            // a plugin that does not know the option, or a run that fails on zeros: keep the default compile
            LOG.debug("backend {}: kernel library tuning skipped: {}", backendId, e.getMessage());
            if (withoutYnn != null) {
                withoutYnn.close();
            }
            return withYnn;
        }
    }

    private static long argumentBytes(Executable executable) {
        long bytes = 0;
        for (TensorType type : executable.inputTypes()) {
            bytes += type.byteSize();
        }
        return bytes;
    }

    /**
     * The fastest run of each program after warm-up, their runs taken in turns so that whatever else the
     * machine does meanwhile (the JIT compiling, another process) slows both alike: timed one after the other,
     * a choice made on noise was cached for good and cost GPT-2 at batch 1 a third of its speed.
     */
    private static double[] fastestRunsMillis(Executable first, Executable second, List<DeviceBuffer> arguments) {
        List<HostTensor> none = List.of();
        List<HostTensor> outputs = new ArrayList<>();
        for (TensorType type : first.outputTypes()) {
            outputs.add(HostTensor.allocate(type));
        }
        for (int i = 0; i < WARMUP_RUNS; i++) {
            first.run(none, arguments, outputs);
            second.run(none, arguments, outputs);
        }
        long[] fastest = {Long.MAX_VALUE, Long.MAX_VALUE};
        long began = System.nanoTime();
        for (int i = 0; i < TIMED_RUNS && (i < 3 || System.nanoTime() - began < TIMING_BUDGET_NANOS); i++) {
            Executable[] order = i % 2 == 0 ? new Executable[] {first, second} : new Executable[] {second, first};
            for (Executable executable : order) {
                long start = System.nanoTime();
                executable.run(none, arguments, outputs);
                int which = executable == first ? 0 : 1;
                fastest[which] = Math.min(fastest[which], System.nanoTime() - start);
            }
        }
        return new double[] {fastest[0] / 1e6, fastest[1] / 1e6};
    }

    @Override
    public String platformName() {
        return runtime.platformName();
    }

    @Override
    public String platformVersion() {
        return runtime.platformVersion();
    }

    /** The runtime's identity, marked: executables compiled with tuning are not those compiled without. */
    @Override
    public String identity() {
        return runtime.identity() + " kernel-library-tuned";
    }

    @Override
    public List<Device> devices() {
        return runtime.devices();
    }

    @Override
    public DeviceBuffer upload(HostTensor tensor) {
        return runtime.upload(tensor);
    }

    @Override
    public Executable deserialize(byte[] serialized) {
        return runtime.deserialize(serialized);
    }
}
