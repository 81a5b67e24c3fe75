package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamedOptionsTest {

  @Test
  void optionsBecomeParallelArraysInTheMapsOrder() {
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("cpu_device_count", 2L);
    options.put("asynchronous", false);
    options.put("shape", new long[] {2, 2});
    NamedOptions named = NamedOptions.of(options, "client");
    assertArrayEquals(new String[] {"cpu_device_count", "asynchronous", "shape"}, named.names());
    assertEquals(List.of(2L, false), List.of(named.values()[0], named.values()[1]));
    assertEquals(0, NamedOptions.of(null, "client").names().length);
  }

  @Test
  void aValueTheBridgeCannotPassIsRefusedBeforeJni() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NamedOptions.of(Map.of("devices", List.of(1, 2)), "topology"));
    assertEquals("topology option devices must be a String, Number, Boolean or long[], got java.util.ImmutableCollections$List12",
        e.getMessage());
  }
}
