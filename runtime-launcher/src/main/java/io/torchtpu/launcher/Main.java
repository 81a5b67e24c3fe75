package io.torchtpu.launcher;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code torchtpu} command. */
@Command(name = "torchtpu", mixinStandardHelpOptions = true, version = "TorchTPU for Java 0.1.0",
        description = {
            "Runs PyTorch programs on PJRT devices (XLA CPU, TPUs, NVIDIA GPUs) inside an OSGi container.",
            "The container starts with the core feature; add others with --feature."},
        subcommands = {Main.Demo.class, ModelCli.Run.class, ModelCli.Verify.class, Main.Features.class, Main.Shell.class, Main.Exec.class,
            Main.Ops.class, CompileCli.Compile.class, BenchCli.Bench.class, ModelCli.Cache.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
            "  torchtpu demo                      an MLP in StableHLO on the XLA CPU plugin, beside libtorch",
            "  torchtpu verify model.pt2          run a model on the CPU plugin and check it against its reference",
            "  torchtpu run model.pt --inputs x.npz --output y.safetensors",
            "  torchtpu features                  start the container and list its features and bundles",
            "  torchtpu shell                     an interactive Gogo shell: lb, torchtpu:features, torchtpu:feature add NAME",
            "  torchtpu features -f libtorch      also add the libtorch feature",
            "  torchtpu exec -f cpu torchtpu:backends   run Gogo command lines and stop",
            "  torchtpu ops                       which Core ATen ops are lowered, by which bundle, and the covered fraction",
            "  torchtpu bench model.pt --batch 1,32 --json r.json --plot r.png   speed beside libtorch at its best",
            "  torchtpu compile model.pt2 --target tpu-v5e:2x2   compile for a TPU slice without chips; HBM, FLOPs, roofline",
            "",
            "Environment: TORCHTPU_JAVA_OPTS (JVM options), TORCHTPU_LOGBACK (a logback.xml), TORCHTPU_LOG_LEVEL."})
public final class Main implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof FeatureException) {
                cmd.getErr().println("torchtpu: " + e.getMessage());
                return 2;
            }
            throw e;
        });
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every command that starts a container shares. */
    static final class ContainerArgs {
        @Option(names = {"-f", "--feature"}, paramLabel = "FEATURE",
                description = "Adds a feature after core: a name from the features folder (${sys:torchtpu.home}/features) or a .json file. Repeatable.")
        List<String> features = new ArrayList<>();

        @Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "Configurations for Configuration Admin, as JSON in the OSGi Configurator format: {\"pid\": {\"key\": value}}.")
        Path config;

        @Option(names = "--repository", paramLabel = "DIR",
                description = "Another folder, laid out like a Maven repository, to find feature bundles in. Repeatable.")
        List<Path> repositories = new ArrayList<>();

        @Option(names = "--features-dir", paramLabel = "DIR", description = "Another folder of feature files. Repeatable.")
        List<Path> featureDirectories = new ArrayList<>();

        ContainerOptions options() {
            ContainerOptions options = ContainerOptions.fromHome(ContainerOptions.defaultHome());
            features.forEach(options::addFeature);
            repositories.forEach(options::addRepository);
            featureDirectories.forEach(options::addFeatureDirectory);
            if (config != null) {
                options.configFile(config);
            }
            return options;
        }
    }

    /** The container has logged each problem at WARN already; this counts them for the exit code. */
    static int countStartProblems(Container container) {
        return container.startProblems().size();
    }

    @Command(name = "features", mixinStandardHelpOptions = true,
            description = {"Starts the container, lists every known feature (* = active) with its bundles and their states, and stops.",
                "Exits with 1 when a requested feature had a bundle that did not install or start."})
    static final class Features implements Callable<Integer> {
        @Mixin
        ContainerArgs args;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (Container container = Container.start(args.options())) {
                PrintWriter out = spec.commandLine().getOut();
                out.print(FeatureCommands.format(container.features().list()));
                out.flush();
                return countStartProblems(container) == 0 ? 0 : 1;
            }
        }
    }

    @Command(name = "shell", mixinStandardHelpOptions = true,
            description = {"Starts the container with the shell feature and an interactive Gogo shell on this terminal.",
                "Try: lb (bundles), torchtpu:features, torchtpu:feature add NAME, torchtpu:feature remove NAME, help.",
                "Leave with `stop 0` or Ctrl-D."})
    static final class Shell implements Callable<Integer> {
        @Mixin
        ContainerArgs args;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            ContainerOptions options = args.options().addFeature("shell").frameworkProperty("gosh.args", "");
            try (Container container = Container.start(options)) {
                countStartProblems(container);
                container.awaitStop();
                return 0;
            }
        }
    }

    /** Runs Gogo command lines in a container with the shell feature; exit 1 when one reports an error. */
    static int runCommands(ContainerOptions options, List<String> commandLines, PrintWriter out, PrintWriter err) {
        try (Container container = Container.start(options.addFeature("shell"))) {
            int problems = countStartProblems(container);
            boolean failed = false;
            try (GogoSession session = new GogoSession(container.bundleContext())) {
                for (String commandLine : commandLines) {
                    String result;
                    try (Progress progress = Progress.start(commandLine, err)) {
                        result = session.execute(commandLine);
                    }
                    out.print(result.endsWith("\n") || result.isEmpty() ? result : result + "\n");
                    out.flush();
                    failed |= result.startsWith("error:") || result.contains("MISMATCH") || result.contains("verify: FAIL");
                    if (result.startsWith("error:")) {
                        break;
                    }
                }
            }
            return failed || problems > 0 ? 1 : 0;
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = {"Starts the container with the shell feature, runs each Gogo command line given, prints what it returns, and stops.",
                "Example: torchtpu exec -f cpu torchtpu:backends lb"})
    static final class Exec implements Callable<Integer> {
        @Mixin
        ContainerArgs args;

        @CommandLine.Parameters(paramLabel = "COMMAND", arity = "1..*", description = "Gogo command lines; quote one that has spaces.")
        List<String> commandLines;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return runCommands(args.options(), commandLines, spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = {"The main job for now: starts the container with the cpu, libtorch and demo features, lists the backends,",
                "then compiles a small MLP written as StableHLO on the XLA CPU plugin, runs it, and prints it beside libtorch.",
                "Exits 1 if the two disagree."})
    static final class Demo implements Callable<Integer> {
        @Mixin
        ContainerArgs args;

        @Option(names = "--backend", paramLabel = "ID", defaultValue = "cpu", description = "The backend to run on (default: ${DEFAULT-VALUE}).")
        String backend;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ContainerOptions options = args.options().addFeature("cpu").addFeature("libtorch").addFeature("demo");
            return runCommands(options, List.of("torchtpu:backends", "torchtpu:mlp " + backend), spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
    }

    @Command(name = "ops", mixinStandardHelpOptions = true,
            description = {"Starts the container with the lowering feature and prints the coverage of PyTorch's Core ATen opset:",
                "every op, whether it is lowered, by which bundle (name, version) and ranking, the covered fraction,",
                "and the lowered ops outside the core list. Add a vendor's lowering bundle with --feature to see it win."})
    static final class Ops implements Callable<Integer> {
        @Mixin
        ContainerArgs args;

        @Option(names = "--backend", paramLabel = "ID",
                description = "Also count lowerings limited to this backend (torchtpu.backend), as a compile for it would.")
        String backend;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ContainerOptions options = args.options().addFeature("lowering");
            String command = backend == null ? "torchtpu:ops" : "torchtpu:ops " + backend;
            return runCommands(options, List.of(command), spec.commandLine().getOut(), spec.commandLine().getErr());
        }
    }
}
