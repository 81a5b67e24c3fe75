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
        subcommands = {Main.Features.class, Main.Shell.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
            "  torchtpu features                  start the container and list its features and bundles",
            "  torchtpu shell                     an interactive Gogo shell: lb, torchtpu:features, torchtpu:feature add NAME",
            "  torchtpu features -f libtorch      also add the libtorch feature",
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

    static int printStartProblems(Container container, PrintWriter err) {
        int problems = 0;
        for (FeatureManager.Report report : container.startReports()) {
            for (String problem : report.problems()) {
                err.println("problem: " + problem);
                problems++;
            }
        }
        return problems;
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
                return printStartProblems(container, spec.commandLine().getErr()) == 0 ? 0 : 1;
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
                printStartProblems(container, spec.commandLine().getErr());
                container.awaitStop();
                return 0;
            }
        }
    }
}
