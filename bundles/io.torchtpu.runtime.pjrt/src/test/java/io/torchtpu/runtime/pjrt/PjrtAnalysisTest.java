package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compiled memory statistics, cost analysis, environment defaults and topologies on the XLA CPU plugin. */
class PjrtAnalysisTest {

  @Test
  void compiledMemoryStatsCountTheArgumentsAndOutputs() {
    try (PjrtClient client = PjrtTestSupport.plugin().createClient();
        PjrtLoadedExecutable loaded = client.compile(Programs.MATMUL);
        PjrtExecutable exe = loaded.executable()) {
      CompiledMemoryStats stats = exe.memoryStats();
      // f32[2,3] and f32[3,4] in, f32[2,4] out
      assertEquals((6 + 12) * 4, stats.argumentBytes(), stats.toString());
      assertEquals(8 * 4, stats.outputBytes(), stats.toString());
      assertTrue(stats.totalDeviceBytes() >= (6 + 12 + 8) * 4, stats.toString());
    }
  }

  @Test
  void costAnalysisTheCpuPluginLacksIsAnUnimplementedError() {
    // the XLA CPU plugin 0.11.2 does not implement it; libtpu does (the TPU backend's AOT tests)
    try (PjrtClient client = PjrtTestSupport.plugin().createClient();
        PjrtLoadedExecutable loaded = client.compile(Programs.MATMUL);
        PjrtExecutable exe = loaded.executable()) {
      PjrtException e = assertThrows(PjrtException.class, exe::costAnalysis);
      assertEquals(PjrtErrorCode.UNIMPLEMENTED, e.errorCode(), e.toString());
      assertEquals(8 * 4, exe.memoryStats().outputBytes(), "the executable stays usable");
    }
  }

  @Test
  void environmentDefaultsNeverOverrideWhatIsSet() {
    String name = "TORCHTPU_PJRT_TEST_" + ProcessHandle.current().pid();
    assertNull(PjrtPlugin.environmentInEffect(name));
    assertEquals(Map.of(name, "first"), PjrtPlugin.setEnvironmentDefaults(Map.of(name, "first")));
    assertEquals(Map.of(name, "first"), PjrtPlugin.setEnvironmentDefaults(Map.of(name, "second")));
    assertEquals("first", PjrtPlugin.environmentInEffect(name));
    assertThrows(IllegalArgumentException.class, () -> PjrtPlugin.setEnvironmentDefaults(Map.of("A=B", "x")));
  }

  @Test
  void anUnknownTopologyFailsWithThePluginsMessage() {
    PjrtPlugin plugin = PjrtTestSupport.plugin();
    PjrtException e = assertThrows(PjrtException.class, () -> plugin.createTopology("no-such-topology:9x9", Map.of()));
    assertTrue(!e.getMessage().isBlank(), e.toString());
    // the plugin keeps working
    try (PjrtClient client = plugin.createClient()) {
      assertTrue(!client.addressableDevices().isEmpty());
    }
  }
}
