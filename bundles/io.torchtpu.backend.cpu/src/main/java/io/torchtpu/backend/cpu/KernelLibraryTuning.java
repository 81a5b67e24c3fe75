package io.torchtpu.backend.cpu;

import io.torchtpu.api.Device;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CPU runtime that compiles each program with matrix products or convolutions twice, with and without the
 * YNNPACK kernels XLA's CPU backend uses for them by default, and a third time with its convolutions and small
 * linear layers run by oneDNN ({@link OneDnnConvolutions}) where it has any and oneDNN is there; it runs all in turns on
 * zero-filled arguments held on the device and keeps the fastest.
 *
 * <p>Why: neither wins everywhere. Measured with {@code torchtpu bench} on 2 cores: YNNPACK ran BERT's batch-1
 * products 2.4x faster than XLA's own (Eigen) kernels, Eigen its batch-32 products 11% faster, and ResNet-18
 * and MobileNetV2 at batch 1 1.5x faster; oneDNN ran ResNet-18's narrow convolutions 2x faster than both. The
 * choice is made per program, once: a compile cache stores the winner.
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
    /** A program this many times slower than the fastest after two warm-up runs is run no more. */
    private static final int HOPELESS_FACTOR = 8;
    /** A slow program gets fewer timed runs within this, but at least three each. */
    private static final long TIMING_BUDGET_NANOS = 1_000_000_000L;

    private final Runtime runtime;
    private final String backendId;
    /** oneDNN's convolutions and linear layers, a third candidate for programs with either; null when oneDNN is not there. */
    private final OneDnnConvolutions oneDnn;

    KernelLibraryTuning(Runtime runtime, String backendId, OneDnnConvolutions oneDnn) {
        this.runtime = runtime;
        this.backendId = backendId;
        this.oneDnn = oneDnn;
    }

    /** Whether a program has the ops the kernel library choice concerns. */
    static boolean worthTuning(String stableHlo, Map<String, Object> options) {
        return !options.containsKey(YNN_OPTION)
                && (stableHlo.contains("stablehlo.dot") || stableHlo.contains("stablehlo.convolution"));
    }

    /** One way to compile a program: its text and options, named for the log. */
    private record Candidate(String name, String stableHlo, Map<String, Object> options) {}

    @Override
    public Executable compile(String stableHlo, Map<String, Object> options) {
        Executable withYnn = runtime.compile(stableHlo, options);
        if (!worthTuning(stableHlo, options) || argumentBytes(withYnn) > MAX_ARGUMENT_BYTES) {
            return withYnn;
        }
        Map<String, Object> without = new LinkedHashMap<>(options);
        without.put(YNN_OPTION, WITHOUT_YNN);
        List<Candidate> others = new ArrayList<>();
        others.add(new Candidate("XLA's own kernels", stableHlo, without));
        String withOneDnn = oneDnn == null ? stableHlo : OneDnnConvolutions.rewrite(stableHlo);
        if (withOneDnn != stableHlo) {
            others.add(new Candidate("oneDNN", withOneDnn, options));
        }
        List<String> names = new ArrayList<>(List.of("YNNPACK"));
        List<Executable> executables = new ArrayList<>(List.of(withYnn));
        try {
            for (Candidate candidate : others) {
                try {
                    executables.add(runtime.compile(candidate.stableHlo(), candidate.options()));
                    names.add(candidate.name());
                } catch (RuntimeException e) {
                    // a plugin that does not know the option, or a convolution the handler cannot take
                    LOG.debug("backend {}: no compile with {}: {}", backendId, candidate.name(), e.getMessage());
                }
            }
            if (executables.size() == 1) {
                return executables.remove(0); // out of the list the finally block closes
            }
            double[] millis;
            List<DeviceBuffer> arguments = new ArrayList<>();
            try {
                // on the device, as a served model's weights are: the copies in would add the same time to all
                // and, for a large model, drown the difference in noise
                for (TensorType type : withYnn.inputTypes()) {
                    arguments.add(runtime.upload(HostTensor.allocate(type)));
                }
                millis = fastestRunsMillis(executables, arguments);
            } finally {
                arguments.forEach(DeviceBuffer::close);
            }
            int best = 0;
            StringBuilder timings = new StringBuilder();
            for (int i = 0; i < millis.length; i++) {
                best = millis[i] < millis[best] ? i : best;
                timings.append(i == 0 ? "" : ", ").append(String.format("%.3f ms with %s", millis[i], names.get(i)));
            }
            LOG.info("backend {}: a program ran in {}: keeping {}", backendId, timings, names.get(best));
            return executables.remove(best);
        } catch (RuntimeException e) {
            // a run that fails on zeros: keep the default compile
            LOG.debug("backend {}: kernel library tuning skipped: {}", backendId, e.getMessage());
            return executables.remove(0);
        } finally {
            executables.forEach(Executable::close);
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
     * machine does meanwhile (the JIT compiling, another process) slows all alike: timed one after the other,
     * a choice made on noise was cached for good and cost GPT-2 at batch 1 a third of its speed.
     */
    private static double[] fastestRunsMillis(List<Executable> executables, List<DeviceBuffer> arguments) {
        List<HostTensor> none = List.of();
        List<HostTensor> outputs = new ArrayList<>();
        for (TensorType type : executables.get(0).outputTypes()) {
            outputs.add(HostTensor.allocate(type));
        }
        int count = executables.size();
        long[] warmest = new long[count];
        Arrays.fill(warmest, Long.MAX_VALUE);
        boolean[] dropped = new boolean[count];
        for (int i = 0; i < WARMUP_RUNS; i++) {
            for (int k = 0; k < count; k++) {
                if (!dropped[k]) {
                    long start = System.nanoTime();
                    executables.get(k).run(none, arguments, outputs);
                    warmest[k] = Math.min(warmest[k], System.nanoTime() - start);
                }
            }
            if (i == 1) {
                // past the first run's one-time work (oneDNN makes its primitives then): a program this much
                // slower than the fastest has lost, and more runs of it would only hold the compile up
                long best = Arrays.stream(warmest).min().orElseThrow();
                for (int k = 0; k < count; k++) {
                    dropped[k] = warmest[k] > HOPELESS_FACTOR * best;
                }
            }
        }
        // a dropped program keeps its warm-up time, which loses
        long[] fastest = new long[count];
        for (int k = 0; k < count; k++) {
            fastest[k] = dropped[k] ? warmest[k] : Long.MAX_VALUE;
        }
        long began = System.nanoTime();
        for (int i = 0; i < TIMED_RUNS && (i < 3 || System.nanoTime() - began < TIMING_BUDGET_NANOS); i++) {
            for (int k = 0; k < count; k++) {
                int which = (i + k) % count; // each round starts with the next program
                if (dropped[which]) {
                    continue;
                }
                long start = System.nanoTime();
                executables.get(which).run(none, arguments, outputs);
                fastest[which] = Math.min(fastest[which], System.nanoTime() - start);
            }
        }
        return Arrays.stream(fastest).mapToDouble(nanos -> nanos / 1e6).toArray();
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
        return runtime.identity() + " kernel-library-tuned" + (oneDnn == null ? "" : " onednn-" + oneDnn.version());
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
