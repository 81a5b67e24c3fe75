package io.torchtpu.runtime.pjrt.benchmarks;

import io.torchtpu.runtime.pjrt.PjrtClient;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The program and the client every benchmark (and the C floor) uses. */
final class BenchSupport {
  /** stablehlo.add of two f32[4]; the C floor compiles the very same file. */
  static final String ADD_F32_4 = resource("add_f32_4.mlir");

  private BenchSupport() {}

  static String resource(String name) {
    try (InputStream in = BenchSupport.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A client of the default XLA CPU plugin (-Dtorchtpu.pjrt.plugin overrides the path). */
  static PjrtClient cpuClient() {
    Path p = PjrtPlugin.defaultCpuPluginPath();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("no XLA CPU PJRT plugin at " + p + "; run " + PjrtPlugin.CPU_FETCH_SCRIPT);
    }
    return PjrtPlugin.load(p).createClient();
  }
}
