package io.torchtpu.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code torchtpu ops}, run from the packaged bin/torchtpu: the coverage report of the Core ATen opset. */
class OpsCommandIT {
    private static final Pattern COVERED = Pattern.compile("covered: (\\d+) of 188 Core ATen ops \\((\\d+\\.\\d)%\\)");

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result torchtpu(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ContainerOptions.defaultHome().resolve("bin/torchtpu").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        byte[] stdout = process.getInputStream().readAllBytes();
        byte[] stderr = process.getErrorStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("torchtpu " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Result(process.exitValue(), new String(stdout, StandardCharsets.UTF_8), new String(stderr, StandardCharsets.UTF_8));
    }

    private static String line(String text, String op) {
        return text.lines().filter(l -> l.startsWith("  " + op + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + op + " in:\n" + text));
    }

    @Test
    void opsListsEveryCoreOpWithItsBundleAndTheCoveredFraction() throws Exception {
        Result result = torchtpu("ops");
        assertEquals(0, result.exitCode(), result.stdout() + result.stderr());
        String out = result.stdout();
        assertTrue(out.startsWith("PyTorch 2.10.0 Core ATen IR, 188 overloads; backend: any"), out);
        assertTrue(line(out, "aten::add.Tensor").matches(" +aten::add\\.Tensor +lowered by io\\.torchtpu\\.lowering\\.aten 0\\.1\\.0\\S* ranking 0"),
                line(out, "aten::add.Tensor"));
        assertTrue(line(out, "aten::gelu").contains("lowered by io.torchtpu.lowering.aten"), out);
        assertEquals(188 + 2, out.lines().takeWhile(l -> !l.startsWith("lowered outside")).count(),
                "a header, one line per core op, the covered line");

        Matcher covered = COVERED.matcher(out);
        assertTrue(covered.find(), out);
        int count = Integer.parseInt(covered.group(1));
        long lowered = out.lines().filter(l -> l.startsWith("  aten::") && !l.matches(" +\\S+ +-$")).count();
        assertTrue(count > 0 && count < 188, out);
        assertEquals(String.format(java.util.Locale.ROOT, "%.1f", 100.0 * count / 188), covered.group(2));
        assertTrue(lowered >= count, "the core lines plus the lines outside the core list");
        assertTrue(out.contains("lowered outside the Core ATen list: "), out);
    }

    @Test
    void withoutTheLoweringFeatureTheCommandSaysWhatToAdd() throws Exception {
        Result result = torchtpu("exec", "torchtpu:ops");
        assertEquals(1, result.exitCode(), result.stdout() + result.stderr());
        assertTrue(result.stdout().contains("error: no lowering registry: add it with `torchtpu:feature add lowering`"), result.stdout());
    }
}
