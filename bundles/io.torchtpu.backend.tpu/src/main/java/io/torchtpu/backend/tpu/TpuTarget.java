package io.torchtpu.backend.tpu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A compile target: a TPU generation and a slice shape, written {@code tpu-v5e:2x2}, {@code v5e:2x2} or
 * {@code tpu-v5e} (the generation's default slice). A vendor's generation name may hold hyphens
 * ({@code v5lite-vendor:2x2}).
 *
 * @param slice the shape, such as {@code 2x2} or {@code 2x2x1}; null for the generation's default
 */
public record TpuTarget(String generation, String slice) {
    private static final Pattern FORM = Pattern.compile("(?:tpu-)?([a-z0-9]+(?:-[a-z0-9]+)*)(?::([0-9]+(?:x[0-9]+){1,2}))?");

    public static TpuTarget parse(String text) {
        Matcher m = FORM.matcher(text.trim().toLowerCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a TPU target: '" + text + "'; write tpu-GENERATION[:SHAPE], such as"
                    + " tpu-v5e:2x2, tpu-v4:2x2x1, tpu-v7:2x2x1 or v5lite-vendor:2x2");
        }
        return new TpuTarget(m.group(1), m.group(2));
    }

    @Override
    public String toString() {
        return "tpu-" + generation + (slice == null ? "" : ":" + slice);
    }
}
