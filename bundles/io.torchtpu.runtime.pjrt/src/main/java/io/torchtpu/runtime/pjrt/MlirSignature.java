package io.torchtpu.runtime.pjrt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the parameter types of the entry function ({@code @main}) from StableHLO text,
 * so that execute() can check arguments before crossing JNI. Returns null when the text
 * has no recognisable {@code @main}; a parameter whose type is not a ranked tensor of a
 * known element type has a null entry (not checked).
 */
final class MlirSignature {
  private static final Pattern MAIN = Pattern.compile("func\\.func\\s+(?:public\\s+|private\\s+)?@main\\s*\\(");
  private static final Pattern DIM = Pattern.compile("(\\d+|\\?)x");

  private MlirSignature() {}

  static List<TensorSpec> parameters(String mlir) {
    Matcher m = MAIN.matcher(mlir);
    if (!m.find()) return null;
    int start = m.end();
    int end = matching(mlir, start - 1);
    if (end < 0) return null;
    List<TensorSpec> specs = new ArrayList<>();
    for (String arg : splitTopLevel(mlir.substring(start, end))) {
      if (arg.isBlank()) continue;
      int colon = arg.indexOf(':');
      specs.add(colon < 0 ? null : tensorType(arg.substring(colon + 1).trim()));
    }
    return Collections.unmodifiableList(specs);
  }

  /** Parses a type that starts with {@code tensor<...>}; null if it is anything else. */
  static TensorSpec tensorType(String type) {
    if (!type.startsWith("tensor<")) return null;
    int close = matching(type, "tensor".length());
    if (close < 0) return null;
    String body = type.substring("tensor<".length(), close);
    // drop an encoding: tensor<4xf32, #stablehlo.bounds<...>>
    List<String> parts = splitTopLevel(body);
    body = parts.isEmpty() ? body : parts.get(0).trim();
    List<Long> dims = new ArrayList<>();
    Matcher d = DIM.matcher(body);
    int pos = 0;
    while (d.find(pos) && d.start() == pos) {
      dims.add(d.group(1).equals("?") ? -1L : Long.parseLong(d.group(1)));
      pos = d.end();
    }
    if (body.startsWith("*")) return null; // unranked
    PjrtElementType et = PjrtElementType.fromMlir(body.substring(pos).trim());
    if (et == null) return null;
    long[] a = new long[dims.size()];
    for (int i = 0; i < a.length; i++) a[i] = dims.get(i);
    return new TensorSpec(et, a);
  }

  /** Index of the bracket closing the one at {@code open}, or -1. */
  private static int matching(String s, int open) {
    int depth = 0;
    boolean inString = false;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inString) {
        if (c == '\\') i++;
        else if (c == '"') inString = false;
        continue;
      }
      switch (c) {
        case '"' -> inString = true;
        case '(', '<', '[', '{' -> depth++;
        case ')', '>', ']', '}' -> {
          if (c == '>' && i > 0 && s.charAt(i - 1) == '-') break; // the arrow "->"
          if (--depth == 0) return i;
        }
        default -> { }
      }
    }
    return -1;
  }

  private static List<String> splitTopLevel(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int from = 0;
    boolean inString = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inString) {
        if (c == '\\') i++;
        else if (c == '"') inString = false;
        continue;
      }
      switch (c) {
        case '"' -> inString = true;
        case '(', '<', '[', '{' -> depth++;
        case ')', '>', ']', '}' -> {
          if (!(c == '>' && i > 0 && s.charAt(i - 1) == '-')) depth--;
        }
        case ',' -> {
          if (depth == 0) {
            out.add(s.substring(from, i));
            from = i + 1;
          }
        }
        default -> { }
      }
    }
    out.add(s.substring(from));
    return out;
  }
}
