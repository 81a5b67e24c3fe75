package io.torchtpu.shell;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.ModelStats;
import io.torchtpu.api.ReferenceRunner;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.tensorio.TensorFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Operators' commands for models: {@code torchtpu:models}, {@code load}, {@code run}, {@code verify},
 * {@code swap}, {@code stats}, {@code unload}. Each returns text; a failure is a line starting with "error:".
 */
@Component(service = ModelCommands.class, property = {"osgi.command.scope=torchtpu", "osgi.command.function=models",
    "osgi.command.function=load", "osgi.command.function=run", "osgi.command.function=verify",
    "osgi.command.function=swap", "osgi.command.function=stats", "osgi.command.function=unload",
    "osgi.command.function=cache"})
public final class ModelCommands {
    private static final long SEED = 20261130L;
    private volatile TorchTpu engine;
    private final List<ReferenceRunner> referenceRunners = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setEngine(TorchTpu engine) {
        this.engine = engine;
    }

    void unsetEngine(TorchTpu engine) {
        if (this.engine == engine) {
            this.engine = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReferenceRunner(ReferenceRunner runner) {
        referenceRunners.add(runner);
    }

    void removeReferenceRunner(ReferenceRunner runner) {
        referenceRunners.remove(runner);
    }

    private TorchTpu engine() {
        TorchTpu current = engine;
        if (current == null) {
            throw new IllegalStateException("the engine is not running: add the engine feature");
        }
        return current;
    }

    private Model model(String name) {
        return engine().model(name).orElseThrow(() -> new IllegalArgumentException("no model named '" + name
                + "': loaded models are " + engine().models().stream().map(Model::name).toList()));
    }

    /** Where a model runs: its backend, and the one it asked for when the engine's fallback serves it instead. */
    static String placement(Model model) {
        String backend = model.backend();
        String requested = model.requestedBackend();
        return requested.equals(backend) ? backend
                : backend + " (requested " + requested + ", which cannot serve it: the engine's fallback; torchtpu:backends says why)";
    }

    /** The loaded models, their backends and signatures. */
    public String models() {
        return guarded(() -> {
            StringBuilder text = new StringBuilder();
            for (Model model : engine().models()) {
                text.append(model.name()).append("  on ").append(placement(model)).append("  ").append(model.inputTypes())
                        .append(" -> ").append(model.outputTypes()).append("  ").append(model.source()).append('\n');
            }
            return text.length() == 0 ? "no models loaded: torchtpu:load NAME FILE [BACKEND]\n" : text.toString();
        });
    }

    public String load(String name, String file) {
        return load(name, file, "cpu");
    }

    public String load(String name, String file, String backend) {
        return load(name, file, backend, "-");
    }

    /**
     * Reads, lowers and compiles a model for a backend, and serves it under a name. {@code inputShapes}
     * gives the input types when the file does not fix them (TorchScript): {@code 4x32:f32,1x16:i64}; "-" for none.
     */
    public String load(String name, String file, String backend, String inputShapes) {
        return guarded(() -> {
            long start = System.nanoTime();
            Model model = engine().load(name, Path.of(file), backend, traceOptions(inputShapes));
            return String.format(Locale.ROOT, "loaded %s on %s in %.3f ms: %s -> %s%n", model.name(), placement(model),
                    (System.nanoTime() - start) / 1e6, model.inputTypes(), model.outputTypes());
        });
    }

    public String run(String name) {
        return run(name, "-", "-");
    }

    public String run(String name, String inputs) {
        return run(name, inputs, "-");
    }

    /**
     * Runs a model on the inputs in a .safetensors or .npz file ("-" for seeded random inputs) and writes
     * the outputs to a file of either kind ("-" to print a summary only).
     */
    public String run(String name, String inputs, String output) {
        return guarded(() -> {
            Model model = model(name);
            List<HostTensor> arguments = inputs.equals("-") ? randomInputs(model.inputTypes()) : readInputs(Path.of(inputs), model);
            long start = System.nanoTime();
            List<HostTensor> outputs = model.run(arguments);
            double millis = (System.nanoTime() - start) / 1e6;
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%s on %s: %.3f ms%n", name, model.backend(), millis));
            for (int i = 0; i < outputs.size(); i++) {
                text.append("  output").append(i).append(' ').append(outputs.get(i).type()).append(' ')
                        .append(preview(outputs.get(i))).append('\n');
            }
            if (!output.equals("-")) {
                Map<String, HostTensor> named = new LinkedHashMap<>();
                for (int i = 0; i < outputs.size(); i++) {
                    named.put("output" + i, outputs.get(i));
                }
                TensorFiles.write(Path.of(output), named);
                text.append("  written to ").append(output).append('\n');
            }
            return text.toString();
        });
    }

    public String verify(String file) {
        return verify(file, "cpu", "-");
    }

    public String verify(String file, String backend) {
        return verify(file, backend, "-");
    }

    /**
     * Loads a model file on a backend, runs it, and compares every output with libtorch running the same
     * file (TorchScript) or with the reference outputs stored beside it ({@code reference.safetensors});
     * prints the errors per output and PASS or FAIL.
     */
    public String verify(String file, String backend, String inputs) {
        return verify(file, backend, inputs, "-");
    }

    public String verify(String file, String backend, String inputs, String inputShapes) {
        return guarded(() -> {
            Path path = Path.of(file).toAbsolutePath();
            ReferenceRunner runner = referenceRunners.stream().filter(r -> r.accepts(path)).findFirst().orElse(null);
            Path storedReference = path.resolveSibling("reference.safetensors");
            Path storedInputs = path.resolveSibling("inputs.safetensors");
            if (runner == null && !Files.isRegularFile(storedReference)) {
                return "error: " + path + ": nothing to verify against: no reference runner reads this format and there is no "
                        + storedReference.getFileName() + " beside it\n";
            }
            String name = "verify-" + Long.toHexString(path.hashCode() & 0xffffffffL);
            Model model = engine().load(name, path, backend, traceOptions(inputShapes));
            try {
                List<HostTensor> arguments;
                String inputSource;
                if (!inputs.equals("-")) {
                    arguments = readInputs(Path.of(inputs), model);
                    inputSource = inputs;
                } else if (runner == null || (Files.isRegularFile(storedInputs) && inputShapes.equals("-"))) {
                    arguments = readInputs(storedInputs, model);
                    inputSource = storedInputs.toString();
                } else {
                    arguments = randomInputs(model.inputTypes());
                    inputSource = "random, seed " + SEED;
                }
                List<HostTensor> actual = model.run(arguments);
                List<HostTensor> expected;
                String referenceSource;
                if (runner != null) {
                    expected = runner.run(path, arguments);
                    referenceSource = "libtorch (" + runner.format() + ")";
                } else {
                    expected = new ArrayList<>(TensorFiles.read(storedReference).values());
                    referenceSource = storedReference.toString();
                }
                return table(path, model, inputSource, referenceSource, actual, expected);
            } finally {
                engine().unload(name);
            }
        });
    }

    private static String table(Path path, Model model, String inputSource, String referenceSource, List<HostTensor> actual,
            List<HostTensor> expected) {
        StringBuilder text = new StringBuilder();
        text.append("verify ").append(path).append(" on ").append(placement(model)).append('\n');
        text.append("  inputs: ").append(inputSource).append("; reference: ").append(referenceSource).append('\n');
        text.append(String.format(Locale.ROOT, "  %-8s %-22s %-5s %12s %12s %10s  %s%n", "output", "shape", "dtype", "max abs err",
                "max rel err", "tolerance", "result"));
        boolean allPass = actual.size() == expected.size();
        if (!allPass) {
            text.append("  the model returned ").append(actual.size()).append(" outputs, the reference ").append(expected.size()).append('\n');
        }
        for (int i = 0; i < Math.min(actual.size(), expected.size()); i++) {
            TensorType type = actual.get(i).type();
            TensorComparison comparison = TensorComparison.of(actual.get(i), expected.get(i));
            boolean pass = comparison.passes(type.dtype());
            allPass &= pass;
            text.append(String.format(Locale.ROOT, "  %-8s %-22s %-5s %12.3g %12.3g %10.0e  %s%n", "output" + i,
                    java.util.Arrays.toString(type.shape()), type.dtype().stableHloName(), comparison.maxAbsolute(),
                    comparison.maxRelative(), TensorComparison.tolerance(type.dtype()),
                    pass ? "PASS" : comparison.shapesMatch() ? "FAIL" : "FAIL (reference is " + expected.get(i).type() + ")"));
        }
        text.append("verify: ").append(allPass ? "PASS" : "FAIL").append('\n');
        return text.toString();
    }

    /** Moves a model to another backend while it serves; returns when the switch is done. */
    public String swap(String name, String backend) {
        return guarded(() -> {
            Model model = model(name);
            String from = model.backend();
            long start = System.nanoTime();
            try {
                model.swap(backend).get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
            return String.format(Locale.ROOT, "%s moved from %s to %s in %.0f ms%n", name, from, model.backend(),
                    (System.nanoTime() - start) / 1e6);
        });
    }

    public String stats() {
        return guarded(() -> {
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-16s %-10s %-10s %9s %8s %8s %6s %9s %9s %9s%n", "model",
                    "backend", "requested", "requests", "failures", "compiles", "cached", "p50 ms", "p99 ms", "max ms"));
            for (Model model : engine().models()) {
                ModelStats s = model.stats();
                text.append(String.format(Locale.ROOT, "%-16s %-10s %-10s %9d %8d %8d %6d %9.3f %9.3f %9.3f%n", model.name(), model.backend(),
                        model.requestedBackend(), s.requests(), s.failures(), s.compiles(), s.cacheHits(), s.p50Millis(), s.p99Millis(),
                        s.maxMillis()));
            }
            return text.toString();
        });
    }

    public String unload(String name) {
        return guarded(() -> {
            model(name);
            engine().unload(name);
            return "unloaded " + name + "\n";
        });
    }

    /** The compile cache's entries. */
    public String cache() {
        return guarded(() -> String.join("\n", engine().cacheEntries()) + "\n");
    }

    /** {@code cache clear} deletes the compile cache's entries. */
    public String cache(String action) {
        return guarded(() -> {
            if (!action.equals("clear")) {
                return "error: unknown action '" + action + "': use `torchtpu:cache` or `torchtpu:cache clear`\n";
            }
            return "deleted " + engine().clearCache() + " cached executables\n";
        });
    }

    /** {@code 4x32:f32,1x16:i64} (dtype as StableHLO or PyTorch names it; f32 when left out), or "-" for none. */
    static TraceOptions traceOptions(String inputShapes) {
        if (inputShapes.equals("-")) {
            return TraceOptions.defaults();
        }
        List<TensorType> types = new ArrayList<>();
        for (String spec : inputShapes.split(",")) {
            String[] parts = spec.trim().split(":");
            DType dtype = parts.length > 1 ? dtype(parts[1].trim(), spec) : DType.F32;
            String[] dims = parts[0].trim().isEmpty() ? new String[0] : parts[0].trim().split("x");
            long[] shape = new long[dims.length];
            for (int i = 0; i < dims.length; i++) {
                try {
                    shape[i] = Long.parseLong(dims[i].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("input shape '" + spec + "': '" + dims[i] + "' is not a dimension; write shapes as 4x32:f32,1x16:i64");
                }
            }
            types.add(TensorType.of(dtype, shape));
        }
        return TraceOptions.defaults().withInputTypes(types);
    }

    private static DType dtype(String name, String spec) {
        for (DType dtype : DType.values()) {
            if (dtype.stableHloName().equals(name) || dtype.torchName().equals(name) || dtype.torchName().equals("torch." + name)
                    || dtype.name().equalsIgnoreCase(name)) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("input shape '" + spec + "': unknown dtype '" + name + "'; use f32, f64, f16, bf16, i64, i32, i16, i8, ui8 or i1");
    }

    private static List<HostTensor> readInputs(Path file, Model model) throws IOException {
        List<HostTensor> inputs = new ArrayList<>(TensorFiles.read(file).values());
        if (inputs.size() != model.inputTypes().size()) {
            throw new IllegalArgumentException(file + " holds " + inputs.size() + " tensors; model " + model.name() + " takes "
                    + model.inputTypes().size() + " " + model.inputTypes());
        }
        return inputs;
    }

    /** Seeded inputs for a signature: floats in [-1, 1), integers in [0, 16), booleans at random. */
    static List<HostTensor> randomInputs(List<TensorType> types) {
        SplittableRandom random = new SplittableRandom(SEED);
        List<HostTensor> inputs = new ArrayList<>();
        for (TensorType type : types) {
            HostTensor tensor = HostTensor.allocate(type);
            ByteBuffer data = tensor.data();
            for (int i = 0; i < type.elementCount(); i++) {
                double value = type.dtype().isFloatingPoint() ? random.nextDouble() * 2 - 1 : random.nextInt(16);
                put(data, type.dtype(), i, value);
            }
            inputs.add(tensor);
        }
        return inputs;
    }

    private static void put(ByteBuffer data, DType dtype, int index, double value) {
        switch (dtype) {
            case F64 -> data.putDouble(index * 8, value);
            case F32 -> data.putFloat(index * 4, (float) value);
            case F16 -> data.putShort(index * 2, floatToHalf((float) value));
            case BF16 -> data.putShort(index * 2, (short) (Float.floatToIntBits((float) value) >>> 16));
            case I64 -> data.putLong(index * 8, (long) value);
            case I32 -> data.putInt(index * 4, (int) value);
            case I16 -> data.putShort(index * 2, (short) value);
            case I8, U8 -> data.put(index, (byte) value);
            case BOOL -> data.put(index, (byte) (((long) value) & 1));
        }
    }

    /** float to IEEE 754 binary16, rounding to nearest; enough for random inputs in [-1, 1). */
    private static short floatToHalf(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = ((bits >>> 23) & 0xff) - 127 + 15;
        int mantissa = bits & 0x7fffff;
        if (exponent <= 0) {
            return (short) sign;
        }
        return (short) (sign | (exponent << 10) | ((mantissa + 0x1000) >>> 13));
    }

    private static String preview(HostTensor tensor) {
        int count = (int) Math.min(6, tensor.type().elementCount());
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            text.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.5g",
                    TensorComparison.element(tensor.data(), tensor.type().dtype(), i)));
        }
        return text.append(tensor.type().elementCount() > count ? ", ...]" : "]").toString();
    }

    private interface Action {
        String run() throws Exception;
    }

    private static String guarded(Action action) {
        try {
            return action.run();
        } catch (Exception e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            return "error: " + message + "\n";
        }
    }
}
