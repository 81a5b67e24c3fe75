package io.torchtpu.bytedeco.pytorch;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Gives JavaCPP a native-library cache of this bundle's own. Inside a framework, JavaCPP names its
 * cache folder after the resource path alone and judges freshness by the bundle file's time, so two
 * processes running different copies of this bundle would rewrite each other's libraries while the
 * other has them mapped (the process dies with SIGBUS). A folder per bundle file (path, size, time)
 * keeps processes that share a copy sharing the cache, and keeps the others apart.
 */
public final class NativeCacheActivator implements BundleActivator {
    static final String CACHE_DIR_PROPERTY = "org.bytedeco.javacpp.cachedir";

    @Override
    public void start(BundleContext context) {
        if (System.getProperty(CACHE_DIR_PROPERTY) != null) {
            return;
        }
        String root = System.getenv("TORCHTPU_CACHE");
        Path base = root == null || root.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "torchtpu") : Path.of(root);
        System.setProperty(CACHE_DIR_PROPERTY, base.resolve("javacpp").resolve(identity(context)).toString());
    }

    /** The bundle file's path, size and time, hashed; or this framework's id when the bundle came from elsewhere. */
    private static String identity(BundleContext context) {
        String location = context.getBundle().getLocation();
        String file = location.startsWith("reference:") ? location.substring("reference:".length()) : location;
        String key;
        try {
            Path jar = Path.of(URI.create(file));
            key = jar.toAbsolutePath() + ":" + Files.size(jar) + ":" + Files.getLastModifiedTime(jar).toMillis();
        } catch (IOException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            key = "framework:" + context.getProperty("org.osgi.framework.uuid");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return context.getBundle().getVersion() + "-" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    @Override
    public void stop(BundleContext context) {
        // the cache stays for the next start
    }
}
