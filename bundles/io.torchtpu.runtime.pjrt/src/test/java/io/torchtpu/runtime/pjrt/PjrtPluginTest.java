package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PjrtPluginTest {
  @TempDir Path tmp;

  @Test
  void loadsTheRealPluginAndReportsVersions() {
    PjrtPlugin plugin = PjrtTestSupport.plugin();
    int[] bridge = PjrtPlugin.bridgeApiVersion();
    assertEquals(bridge[0], plugin.apiMajorVersion());
    assertTrue(plugin.apiMinorVersion() >= bridge[1], plugin.apiVersion());
    assertSame(plugin, PjrtPlugin.load(plugin.path()), "one instance per file");
    plugin.initialize().initialize(); // idempotent
    assertTrue(plugin.isInitialized());
    Map<String, Object> attrs = plugin.attributes();
    assertTrue(attrs.containsKey("stablehlo_current_version"), attrs.toString());
    assertTrue(attrs.get("stablehlo_current_version") instanceof long[]);
  }

  @Test
  void missingPluginNamesTheFetchScript() {
    PjrtPluginLoadException e = assertThrows(PjrtPluginLoadException.class,
        () -> PjrtPlugin.load(tmp.resolve("nope/pjrt_cpu.so")));
    assertTrue(e.getMessage().contains("fetch-pjrt-cpu.sh"), e.getMessage());
    assertStillWorks();
  }

  @Test
  void executableThatIsNotAPluginIsRefused() {
    PjrtPluginLoadException e = assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(Path.of("/bin/ls")));
    assertTrue(e.getMessage().contains("/bin/ls"), e.getMessage());
    assertStillWorks();
  }

  @Test
  void sharedLibraryWithoutGetPjrtApiIsRefused() {
    Path libc = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
    PjrtPluginLoadException e = assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(libc));
    assertTrue(e.getMessage().contains("GetPjrtApi"), e.getMessage());
    assertStillWorks();
  }

  @Test
  void textFileIsRefused() throws Exception {
    Path text = Files.writeString(tmp.resolve("plugin.so"), "this is not an ELF file\n");
    PjrtPluginLoadException e = assertThrows(PjrtPluginLoadException.class, () -> PjrtPlugin.load(text));
    assertTrue(e.getMessage().contains("plugin.so"), e.getMessage());
    assertStillWorks();
  }

  @Test
  void clientDescribesPlatformDevicesAndMemories() {
    try (PjrtClient client = PjrtTestSupport.plugin().createClient(Map.of("cpu_device_count", 3))) {
      assertEquals("cpu", client.platformName());
      assertFalse(client.platformVersion().isEmpty());
      assertEquals(3, client.devices().size());
      assertEquals(3, client.addressableDevices().size());
      for (int i = 0; i < 3; i++) {
        PjrtDevice d = client.addressableDevices().get(i);
        assertEquals(i, d.id());
        assertEquals("cpu", d.kind().toLowerCase());
        assertTrue(d.isAddressable());
        assertFalse(d.description().isEmpty());
        assertFalse(d.memories().isEmpty(), "memories of " + d);
        assertTrue(d.memories().contains(d.defaultMemory()));
        assertFalse(d.defaultMemory().kind().isEmpty());
      }
      assertFalse(client.memories().isEmpty());
    }
  }

  @Test
  void badClientOptionIsAnIllegalArgument() {
    PjrtPlugin plugin = PjrtTestSupport.plugin();
    assertThrows(IllegalArgumentException.class, () -> plugin.createClient(Map.of("cpu_device_count", new Object())));
    assertStillWorks();
  }

  static void assertStillWorks() {
    try (PjrtClient client = PjrtTestSupport.plugin().createClient();
         PjrtLoadedExecutable exe = client.compile(Programs.ADD_F32_4);
         PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4);
         PjrtBuffer b = client.buffer(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, 4)) {
      PjrtBuffer[] out = exe.execute(a, b);
      try {
        assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f, 4.5f}, out[0].toFloatArray());
      } finally {
        out[0].close();
      }
    }
  }
}
