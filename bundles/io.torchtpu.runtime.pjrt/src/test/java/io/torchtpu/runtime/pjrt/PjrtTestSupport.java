package io.torchtpu.runtime.pjrt;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the real XLA CPU plugin; a missing plugin fails the tests (never skips them). */
final class PjrtTestSupport {
  private PjrtTestSupport() {}

  static PjrtPlugin plugin() {
    Path p = PjrtPlugin.defaultCpuPluginPath();
    if (!Files.isRegularFile(p)) {
      throw new AssertionError("the XLA CPU PJRT plugin is missing at " + p + "; run "
          + System.getProperty("torchtpu.pjrt.fetchScript", PjrtPlugin.CPU_FETCH_SCRIPT)
          + " first (or point -Dtorchtpu.pjrt.plugin at a plugin .so)");
    }
    return PjrtPlugin.load(p);
  }
}
