package io.torchtpu.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code torchtpu compile}: ahead-of-time compilation for a TPU slice, no chips needed (the Gogo command torchtpu:compile). */
final class CompileCli {
    private CompileCli() {
    }

    @Command(name = "compile", mixinStandardHelpOptions = true,
            description = {"Compiles a model for a TPU generation and slice without TPU chips, through libtpu's topology descriptions",
                "(runtime-launcher/scripts/fetch-libtpu.sh installs libtpu). Writes the serialized executable and prints its",
                "compiled HBM use (arguments, outputs, temporaries, code), its cost analysis (FLOPs, bytes accessed) and a",
                "roofline estimate of one step from the generation's published figures. A model too large for a device's HBM",
                "fails with the compiler's out-of-memory message.",
                "Example: torchtpu compile model.pt2 --target tpu-v5e:2x2"})
    static final class Compile implements Callable<Integer> {
        @Mixin
        Main.ContainerArgs args;

        @Parameters(index = "0", paramLabel = "MODEL", description = "A torch.export archive (.pt2), TorchScript (.pt) or StableHLO (.mlir).")
        Path model;

        @Option(names = "--target", required = true, paramLabel = "TARGET",
                description = "tpu-GENERATION[:SLICE]: tpu-v4:2x2x1, tpu-v5e:2x2, tpu-v5p:2x2x1, tpu-v6e:2x2, tpu-v7:2x2x1 ...")
        String target;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE",
                description = "Where to write the executable (default: beside MODEL, named after it and the target).")
        Path output;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ContainerOptions options = args.options();
            List<String> features = new ArrayList<>(List.of("tpu", "lowering", "pt2"));
            if (model.getFileName().toString().endsWith(".pt")) {
                features.addAll(List.of("libtorch", "torchscript"));
            }
            features.forEach(options::addFeature);
            String line = "torchtpu:compile " + ModelCli.quoted(model) + " " + target
                    + (output == null ? "" : " " + ModelCli.quoted(output));
            return Main.runCommands(options, List.of(line), spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }
}
