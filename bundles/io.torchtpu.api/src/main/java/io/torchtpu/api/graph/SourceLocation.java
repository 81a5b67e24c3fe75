package io.torchtpu.api.graph;

import java.util.Objects;

/**
 * Where a node came from in the user's program, as the tracer saw it: every error about a node names it.
 *
 * @param file the source file, or {@code "<unknown>"}
 * @param line 1-based line, 0 when unknown
 * @param column 1-based column, 0 when unknown
 * @param text the source text of the expression, empty when unknown
 */
public record SourceLocation(String file, int line, int column, String text) {
    public static final SourceLocation UNKNOWN = new SourceLocation("<unknown>", 0, 0, "");

    public SourceLocation {
        Objects.requireNonNull(file, "file");
        text = text == null ? "" : text;
    }

    public boolean isKnown() {
        return !equals(UNKNOWN);
    }

    /** {@code model.py:12:5 `y = x + 1`}, or {@code <unknown location>}. */
    @Override
    public String toString() {
        if (!isKnown()) {
            return "<unknown location>";
        }
        String where = file + (line > 0 ? ":" + line + (column > 0 ? ":" + column : "") : "");
        return text.isEmpty() ? where : where + " `" + text + "`";
    }
}
