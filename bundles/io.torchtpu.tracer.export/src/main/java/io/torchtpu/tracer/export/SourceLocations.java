package io.torchtpu.tracer.export;

import io.torchtpu.api.graph.SourceLocation;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Source locations from a serialized node's metadata: its Python {@code stack_trace} (outermost frame first)
 * and its {@code nn_module_stack} ({@code key,path,type} entries joined by {@code ;}, outermost first).
 */
final class SourceLocations {
    private static final Pattern FRAME = Pattern.compile("File \"([^\"]*)\", line (\\d+), in [^\\n]*(?:\\n\\s*([^\\n]*))?");

    private SourceLocations() {
    }

    /**
     * The innermost frame outside PyTorch itself (the user's or a model library's code, not {@code torch/nn});
     * without a stack trace, the innermost module ({@code <module fc1: torch.nn.modules.linear.Linear>}).
     */
    static SourceLocation of(Map<String, Object> metadata) {
        String module = innermostModule(metadata.get("nn_module_stack"));
        if (metadata.get("stack_trace") instanceof String trace) {
            SourceLocation chosen = null;
            SourceLocation innermost = null;
            Matcher frame = FRAME.matcher(trace);
            while (frame.find()) {
                String text = frame.group(3) == null ? "" : frame.group(3).strip();
                SourceLocation location = new SourceLocation(frame.group(1), parseLine(frame.group(2)), 0, text);
                innermost = location;
                if (!isPyTorchInternal(frame.group(1))) {
                    chosen = location;
                }
            }
            if (chosen != null || innermost != null) {
                return chosen != null ? chosen : innermost;
            }
        }
        return module == null ? SourceLocation.UNKNOWN : new SourceLocation("<module " + module + ">", 0, 0, "");
    }

    private static int parseLine(String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Frames in PyTorch's own Python package, such as {@code site-packages/torch/nn/modules/linear.py}. */
    static boolean isPyTorchInternal(String file) {
        String path = file.replace('\\', '/');
        return path.contains("-packages/torch/") || path.startsWith("torch/");
    }

    /** {@code path: type} of the innermost module, or null. */
    static String innermostModule(Object stack) {
        if (!(stack instanceof String text) || text.isBlank()) {
            return null;
        }
        String[] entries = text.split(";");
        String last = entries[entries.length - 1];
        int first = last.indexOf(',');
        int lastComma = last.lastIndexOf(',');
        if (first < 0 || lastComma <= first) {
            return last;
        }
        String path = last.substring(first + 1, lastComma);
        String type = last.substring(lastComma + 1);
        return path.isEmpty() ? type : path + ": " + type;
    }
}
