package io.torchtpu.launcher;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code torchtpu run} and {@code torchtpu verify}: a model file end to end, in a container that has what it needs. */
final class ModelCli {
    /** Everything a model needs from reading to running, and the reference runner for verify. */
    static final List<String> MODEL_FEATURES = List.of("cpu", "lowering", "engine", "libtorch", "torchscript", "pt2");

    private ModelCli() {
    }

    static ContainerOptions withModelFeatures(ContainerOptions options) {
        MODEL_FEATURES.forEach(options::addFeature);
        return options;
    }

    /** Gogo takes "-" for an option left out; paths are quoted, as they may hold spaces. */
    static String orDash(Path path) {
        return path == null ? "-" : quoted(path);
    }

    static String shapes(String inputShapes) {
        return inputShapes == null ? "-" : '"' + inputShapes + '"';
    }

    static String quoted(Path path) {
        return '"' + path.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** The model, backend and inputs that run and verify both take. */
    static final class ModelArgs {
        @Parameters(index = "0", paramLabel = "MODEL", description = "A TorchScript archive (.pt) or a torch.export archive (.pt2).")
        Path file;

        @Option(names = "--backend", defaultValue = "cpu", paramLabel = "ID", description = "The backend (default: ${DEFAULT-VALUE}).")
        String backend;

        @Option(names = "--inputs", paramLabel = "FILE", description = "Inputs in order, as .safetensors or .npz.")
        Path inputs;

        @Option(names = "--input-shape", paramLabel = "SHAPES",
                description = "Input types when the model file does not fix them (TorchScript), e.g. 4x32:f32,1x16:i64; "
                        + "by default they come from inputs.safetensors beside the model.")
        String inputShapes;
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Reads a model (TorchScript .pt or torch.export .pt2), compiles it for a backend, runs it once and prints",
                "its outputs; --output writes them to a .safetensors or .npz file. Without --inputs the inputs are random,",
                "seeded, shaped from the model's signature."})
    static final class Run implements Callable<Integer> {
        @Mixin
        Main.ContainerArgs args;

        @Mixin
        ModelArgs model;

        @Option(names = "--output", paramLabel = "FILE", description = "Where to write the outputs (.safetensors or .npz).")
        Path output;


        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            String name = "run";
            return Main.runCommands(withModelFeatures(args.options()), List.of(
                    "torchtpu:load " + name + " " + quoted(model.file) + " " + model.backend + " " + shapes(model.inputShapes),
                    "torchtpu:run " + name + " " + orDash(model.inputs) + " " + orDash(output)),
                    spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Runs a model on a backend and checks every output: against libtorch running the same file (TorchScript),",
                "or against reference.safetensors beside the file (with inputs.safetensors beside it as the inputs).",
                "Prints the max absolute and relative error per output and PASS or FAIL; exits 1 on FAIL.",
                "Tolerances (relative to the output's largest magnitude): f32 1e-4, f64 1e-7, f16/bf16 1e-2, integers exact."})
    static final class Verify implements Callable<Integer> {
        @Mixin
        Main.ContainerArgs args;

        @Mixin
        ModelArgs model;


        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return Main.runCommands(withModelFeatures(args.options()),
                    List.of("torchtpu:verify " + quoted(model.file) + " " + model.backend + " " + orDash(model.inputs) + " "
                            + shapes(model.inputShapes)),
                    spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }

    @Command(name = "cache", mixinStandardHelpOptions = true,
            description = {"Lists the compile cache (serialized executables on disk, by key and size), or clears it with `clear`.",
                "The folder is the engine's cacheDirectory: ~/.cache/torchtpu/executables unless configured (pid io.torchtpu.engine)."})
    static final class Cache implements Callable<Integer> {
        @Mixin
        Main.ContainerArgs args;

        @Parameters(index = "0", arity = "0..1", paramLabel = "clear", description = "Delete every cached executable.")
        String action;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ContainerOptions options = args.options().addFeature("engine");
            return Main.runCommands(options, List.of(action == null ? "torchtpu:cache" : "torchtpu:cache " + action),
                    spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }
}
