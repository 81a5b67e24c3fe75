package io.torchtpu.backend.cpu;

import io.torchtpu.api.Device;
import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Runtime;
import io.torchtpu.api.TensorType;
import java.nio.charset.StandardCharsets;
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
 *
 * <p>Where the backend has a second client with a smaller thread pool ({@link #SMALLER_POOL_MARK}), the fastest
 * of those compiles is also compiled there and run in turns with it, and the faster kept. Why: a program runs
 * on the calling thread, which does its serial steps while XLA's pool (one worker per CPU by default) runs the
 * parallel ones: one thread more than there are cores. At batch 1 the steps are short and the threads wait on
 * each other; measured on 2 cores with PJRT_NPROC=1 (a pool of one), GPT-2 at batch 1 ran 1.7-2x faster, BERT
 * 20% faster, but a BERT encoder layer at batch 32 14% slower and, on another machine, the same layer at batch
 * 1 30% slower. Which pool is faster depends on the program and the machine, so it is measured.
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
    /** Runs of each pool's program for the medians: a batch-1 program's waits come and go from run to run. */
    private static final int POOL_TIMED_RUNS = 41;
    /** A program this many times slower than the fastest after two warm-up runs is run no more. */
    private static final int HOPELESS_FACTOR = 8;
    /** A slow program gets fewer timed runs within this, but at least three each. */
    private static final long TIMING_BUDGET_NANOS = 1_000_000_000L;

    /**
     * What {@link Executable#serialize()} of a program kept on the smaller pool starts with, so that
     * {@link #deserialize} loads it there again.
     */
    static final byte[] SMALLER_POOL_MARK = "torchtpu.cpu.smaller-pool\n".getBytes(StandardCharsets.US_ASCII);

    private final Runtime runtime;
    private final String backendId;
    /** oneDNN's convolutions and linear layers, a third candidate for programs with either; null when oneDNN is not there. */
    private final OneDnnConvolutions oneDnn;
    /** A client with a smaller thread pool that takes {@link #runtime}'s buffers; null for none. */
    private final Runtime smallerPool;
    private final int smallerPoolThreads;

    KernelLibraryTuning(Runtime runtime, String backendId, OneDnnConvolutions oneDnn) {
        this(runtime, backendId, oneDnn, null, 0);
    }

    /**
     * @param smallerPool a runtime on another client of the plugin whose pool has {@code smallerPoolThreads}
     *     threads, whose executables take {@code runtime}'s buffers (PjrtRuntime.sharingBuffersOf); null for none
     */
    KernelLibraryTuning(Runtime runtime, String backendId, OneDnnConvolutions oneDnn, Runtime smallerPool, int smallerPoolThreads) {
        this.runtime = runtime;
        this.backendId = backendId;
        this.oneDnn = oneDnn;
        this.smallerPool = smallerPool;
        this.smallerPoolThreads = smallerPoolThreads;
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
        String withOneDnn = oneDnn == null ? stableHlo : OneDnnConvolutions.rewrite(stableHlo, oneDnn.target());
        if (withOneDnn != stableHlo) {
            others.add(new Candidate("oneDNN", withOneDnn, options));
        }
        List<Candidate> compiled = new ArrayList<>(List.of(new Candidate("YNNPACK", stableHlo, options)));
        List<Executable> executables = new ArrayList<>(List.of(withYnn));
        List<DeviceBuffer> arguments = new ArrayList<>();
        try {
            for (Candidate candidate : others) {
                try {
                    executables.add(runtime.compile(candidate.stableHlo(), candidate.options()));
                    compiled.add(candidate);
                } catch (RuntimeException e) {
                    // a plugin that does not know the option, or a convolution the handler cannot take
                    LOG.debug("backend {}: no compile with {}: {}", backendId, candidate.name(), e.getMessage());
                }
            }
            if (executables.size() == 1 && smallerPool == null) {
                return executables.remove(0); // out of the list the finally block closes
            }
            // on the device, as a served model's weights are: the copies in would add the same time to all
            // and, for a large model, drown the difference in noise
            for (TensorType type : withYnn.inputTypes()) {
                arguments.add(runtime.upload(HostTensor.allocate(type)));
            }
            int best = 0;
            if (executables.size() > 1) {
                double[] millis = Arrays.stream(timeInTurns(executables, arguments, TIMED_RUNS)).mapToDouble(RunTimes::fastestMillis).toArray();
                StringBuilder timings = new StringBuilder();
                for (int i = 0; i < millis.length; i++) {
                    best = millis[i] < millis[best] ? i : best;
                    timings.append(i == 0 ? "" : ", ").append(String.format("%.3f ms with %s", millis[i], compiled.get(i).name()));
                }
                LOG.info("backend {}: a program ran in {}: keeping {}", backendId, timings, compiled.get(best).name());
            }
            if (smallerPool != null) {
                Executable onSmallerPool = onSmallerPool(compiled.get(best));
                if (onSmallerPool != null) {
                    executables.add(onSmallerPool);
                    // medians: what a smaller pool saves is the waits of a thread more than the cores, which the
                    // fastest run, where no thread happened to wait, does not show
                    double[] pair = Arrays.stream(timeInTurns(List.of(executables.get(best), onSmallerPool), arguments, POOL_TIMED_RUNS))
                            .mapToDouble(RunTimes::medianMillis).toArray();
                    boolean smallerWins = pair[1] < pair[0];
                    LOG.info("backend {}: with {} its median run took {} ms on the pool of all CPUs, {} ms on the pool of {}: keeping {}", backendId,
                            compiled.get(best).name(), String.format("%.3f", pair[0]), String.format("%.3f", pair[1]), smallerPoolThreads,
                            smallerWins ? "the smaller pool" : "all CPUs");
                    best = smallerWins ? executables.size() - 1 : best;
                }
            }
            return executables.remove(best);
        } catch (RuntimeException e) {
            // a run that fails on zeros: keep the default compile
            LOG.debug("backend {}: kernel library tuning skipped: {}", backendId, e.getMessage());
            return executables.remove(0);
        } finally {
            arguments.forEach(DeviceBuffer::close);
            executables.forEach(Executable::close);
        }
    }

    /** The candidate compiled on the smaller pool, marked so that it deserializes there; null when that compile fails. */
    private Executable onSmallerPool(Candidate candidate) {
        try {
            return new OnSmallerPool(smallerPool.compile(candidate.stableHlo(), candidate.options()));
        } catch (RuntimeException e) {
            LOG.debug("backend {}: no compile with {} on the smaller pool: {}", backendId, candidate.name(), e.getMessage());
            return null;
        }
    }

    /** An executable of the smaller pool's client: itself, but serialized with {@link #SMALLER_POOL_MARK} before its bytes. */
    private record OnSmallerPool(Executable executable) implements Executable {
        @Override
        public List<TensorType> inputTypes() {
            return executable.inputTypes();
        }

        @Override
        public List<TensorType> outputTypes() {
            return executable.outputTypes();
        }

        @Override
        public List<HostTensor> run(List<HostTensor> inputs) {
            return executable.run(inputs);
        }

        @Override
        public List<HostTensor> run(List<HostTensor> inputs, List<DeviceBuffer> resident) {
            return executable.run(inputs, resident);
        }

        @Override
        public void run(List<HostTensor> inputs, List<DeviceBuffer> resident, List<HostTensor> outputs) {
            executable.run(inputs, resident, outputs);
        }

        @Override
        public byte[] serialize() {
            byte[] bytes = executable.serialize();
            byte[] marked = Arrays.copyOf(SMALLER_POOL_MARK, SMALLER_POOL_MARK.length + bytes.length);
            System.arraycopy(bytes, 0, marked, SMALLER_POOL_MARK.length, bytes.length);
            return marked;
        }

        @Override
        public void close() {
            executable.close();
        }
    }

    private static long argumentBytes(Executable executable) {
        long bytes = 0;
        for (TensorType type : executable.inputTypes()) {
            bytes += type.byteSize();
        }
        return bytes;
    }

    /** The fastest and the median of a program's timed runs. */
    private record RunTimes(double fastestMillis, double medianMillis) {}

    /**
     * The run times of each program after warm-up, {@code timedRuns} each at most (within the budget), their
     * runs taken in turns so that whatever else the machine does meanwhile (the JIT compiling, another process)
     * slows all alike: timed one after the other, a choice made on noise was cached for good and cost GPT-2 at
     * batch 1 a third of its speed. A program dropped after warm-up has its warm-up time as both figures.
     */
    private static RunTimes[] timeInTurns(List<Executable> executables, List<DeviceBuffer> arguments, int timedRuns) {
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
        long[][] nanos = new long[count][timedRuns];
        int rounds = 0;
        long began = System.nanoTime();
        for (; rounds < timedRuns && (rounds < 3 || System.nanoTime() - began < TIMING_BUDGET_NANOS); rounds++) {
            for (int k = 0; k < count; k++) {
                int which = (rounds + k) % count; // each round starts with the next program
                if (dropped[which]) {
                    continue;
                }
                long start = System.nanoTime();
                executables.get(which).run(none, arguments, outputs);
                nanos[which][rounds] = System.nanoTime() - start;
            }
        }
        RunTimes[] times = new RunTimes[count];
        for (int k = 0; k < count; k++) {
            long[] runs = Arrays.copyOf(nanos[k], rounds);
            Arrays.sort(runs);
            // a dropped program keeps its warm-up time, which loses
            times[k] = dropped[k] ? new RunTimes(warmest[k] / 1e6, warmest[k] / 1e6) : new RunTimes(runs[0] / 1e6, runs[rounds / 2] / 1e6);
        }
        return times;
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
        // the target too where it is not the first copy's: a cached program calling another copy's handler must not load here
        return runtime.identity() + " kernel-library-tuned" + (oneDnn == null ? "" : " onednn-" + oneDnn.version()
                + (oneDnn.target().equals(OneDnnConvolutions.TARGET) ? "" : " " + oneDnn.target()))
                + (smallerPool == null ? "" : " smaller-pool-" + smallerPoolThreads);
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
        boolean marked = serialized.length >= SMALLER_POOL_MARK.length
                && Arrays.equals(serialized, 0, SMALLER_POOL_MARK.length, SMALLER_POOL_MARK, 0, SMALLER_POOL_MARK.length);
        if (!marked) {
            return runtime.deserialize(serialized);
        }
        byte[] bytes = Arrays.copyOfRange(serialized, SMALLER_POOL_MARK.length, serialized.length);
        // a backend configured without the smaller pool runs the program on its own
        return smallerPool == null ? runtime.deserialize(bytes) : new OnSmallerPool(smallerPool.deserialize(bytes));
    }
}
