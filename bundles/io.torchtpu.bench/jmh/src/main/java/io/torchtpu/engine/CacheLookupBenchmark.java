package io.torchtpu.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The compile cache on disk: the key of a program and the lookup of a stored executable (read, checksum).
 * It sits in the engine's package to reach the package-private cache; fine on a class path, never deployed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CacheLookupBenchmark {
    @Param({"65536", "4194304"})
    public int bytes;

    private Path directory;
    private ExecutableCache cache;
    private String key;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        directory = Files.createTempDirectory("torchtpu-cache-bench");
        cache = new ExecutableCache(directory);
        key = key();
        cache.put(key, new byte[bytes]);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Benchmark
    public String key() {
        return ExecutableCache.key("0123456789abcdef0123456789abcdef", "cpu 0.1 pjrt 0.115 /plugins/pjrt_c_api_cpu_plugin.so:1234:5678 1 device(s)",
                "{aten::addmm=io.torchtpu.lowering.aten 0.1.0, aten::relu=io.torchtpu.lowering.aten 0.1.0}", "{}");
    }

    @Benchmark
    public Optional<byte[]> lookup() {
        return cache.get(key);
    }
}
