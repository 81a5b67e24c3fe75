package io.torchtpu.lowering.registry;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * PyTorch's Core ATen opset, read from {@code core-aten-ops.txt}: the data file lives in the ATen lowerings
 * bundle's sources and the build copies it here, so that coverage is reported (as 0 %) even when no
 * lowering bundle is installed.
 *
 * @param source where the list came from, such as {@code PyTorch 2.10.0 Core ATen IR}
 * @param ops the overloads with their schemas, in the file's order
 */
record CoreAtenOps(String source, List<Op> ops) {
    static final String RESOURCE = "core-aten-ops.txt";

    /** @param name the schema name, such as {@code aten::add.Tensor} */
    record Op(String name, String schema) {
    }

    CoreAtenOps {
        ops = List.copyOf(ops);
    }

    static CoreAtenOps load() {
        try (InputStream in = CoreAtenOps.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from " + CoreAtenOps.class.getPackageName());
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the file; the {@code # count:} header must match the lines, so a truncated file fails loudly. */
    static CoreAtenOps parse(String text) {
        String pytorch = "?";
        int declaredCount = -1;
        List<Op> ops = new ArrayList<>();
        for (String line : text.lines().map(String::strip).toList()) {
            if (line.startsWith("# pytorch:")) {
                pytorch = line.substring("# pytorch:".length()).strip();
            } else if (line.startsWith("# count:")) {
                declaredCount = Integer.parseInt(line.substring("# count:".length()).strip());
            } else if (!line.isEmpty() && !line.startsWith("#")) {
                int paren = line.indexOf('(');
                if (paren <= 0) {
                    throw new IllegalArgumentException(RESOURCE + ": not a schema: " + line);
                }
                ops.add(new Op(line.substring(0, paren), line));
            }
        }
        if (declaredCount != ops.size()) {
            throw new IllegalArgumentException(RESOURCE + " declares " + declaredCount + " ops but lists " + ops.size());
        }
        return new CoreAtenOps("PyTorch " + pytorch + " Core ATen IR", ops);
    }
}
