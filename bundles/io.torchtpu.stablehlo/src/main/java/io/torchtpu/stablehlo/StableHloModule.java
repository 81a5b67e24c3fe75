package io.torchtpu.stablehlo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/** A finished module: its MLIR text and the sha-256 of that text, the key compile caches use. */
public record StableHloModule(String text, String fingerprint) {
    public StableHloModule {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(fingerprint, "fingerprint");
    }

    public static StableHloModule of(String text) {
        return new StableHloModule(text, fingerprint(text));
    }

    /** sha-256 of the UTF-8 text, lower-case hex. */
    public static String fingerprint(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
