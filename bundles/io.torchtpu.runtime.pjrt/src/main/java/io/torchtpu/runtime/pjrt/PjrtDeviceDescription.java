package io.torchtpu.runtime.pjrt;

import java.util.Map;

/**
 * One device of a {@link PjrtTopology}, described without being opened: its id, kind
 * (e.g. {@code TPU v5 lite}) and the plugin's attributes (e.g. {@code coords},
 * {@code num_cores}, {@code device_memory_bytes_limit} for libtpu).
 */
public record PjrtDeviceDescription(int id, String kind, String debugString, String shortName, int processIndex,
    Map<String, Object> attributes) {

  static PjrtDeviceDescription of(Object[] info) {
    return new PjrtDeviceDescription((Integer) info[0], (String) info[1], (String) info[2], (String) info[3],
        (Integer) info[4], PjrtPlugin.namedValues((Object[]) info[5]));
  }
}
