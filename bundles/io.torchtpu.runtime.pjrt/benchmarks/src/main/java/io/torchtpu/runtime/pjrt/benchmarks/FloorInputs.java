package io.torchtpu.runtime.pjrt.benchmarks;

import io.torchtpu.runtime.pjrt.CompileOptions;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes what the C floor driver compiles, so that it is byte for byte what the Java
 * benchmarks compile: {@code DIR/add_f32_4.mlir} and {@code DIR/compile_options.pb}
 * (CompileOptions.defaults().toProto()); prints the default plugin path.
 */
public final class FloorInputs {
  private FloorInputs() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: FloorInputs DIR");
      System.exit(2);
    }
    Path dir = Files.createDirectories(Path.of(args[0]));
    Files.writeString(dir.resolve("add_f32_4.mlir"), BenchSupport.ADD_F32_4, StandardCharsets.UTF_8);
    Files.write(dir.resolve("compile_options.pb"), CompileOptions.defaults().toProto());
    System.out.println(PjrtPlugin.defaultCpuPluginPath());
  }
}
