package io.torchtpu.runtime.pjrt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** A device of a client, with its description. Owned by the client; valid while it is open. */
public final class PjrtDevice {
  private final PjrtClient client;
  private final long handle;
  private final int id;
  private final String kind;
  private final String debugString;
  private final String description;
  private final int processIndex;
  private final boolean addressable;
  private final int localHardwareId;
  private final Map<String, Object> attributes;
  private final List<PjrtMemory> memories;
  private final PjrtMemory defaultMemory;

  PjrtDevice(PjrtClient client, long handle, Object[] info) {
    this.client = client;
    this.handle = handle;
    this.id = (Integer) info[0];
    this.kind = (String) info[1];
    this.debugString = (String) info[2];
    this.description = (String) info[3];
    this.processIndex = (Integer) info[4];
    this.addressable = (Boolean) info[5];
    this.localHardwareId = (Integer) info[6];
    this.attributes = PjrtPlugin.namedValues((Object[]) info[7]);
    List<PjrtMemory> mems = new ArrayList<>();
    PjrtMemory def = null;
    long defHandle = (Long) info[9];
    for (long m : (long[]) info[8]) {
      PjrtMemory memory = client.memory(m);
      mems.add(memory);
      if (m == defHandle) def = memory;
    }
    this.memories = Collections.unmodifiableList(mems);
    this.defaultMemory = def;
  }

  /** The global device id. */
  public int id() {
    return id;
  }

  /** The device kind, e.g. "cpu" or "TPU v5 lite". */
  public String kind() {
    return kind;
  }

  public String debugString() {
    return debugString;
  }

  /** The plugin's one-line description (PJRT_DeviceDescription_ToString). */
  public String description() {
    return description;
  }

  public int processIndex() {
    return processIndex;
  }

  public boolean isAddressable() {
    return addressable;
  }

  /** The local hardware id, or -1 if the device is not addressable. */
  public int localHardwareId() {
    return localHardwareId;
  }

  /** Vendor-specific attributes; values are String, Long, long[], Float or Boolean. */
  public Map<String, Object> attributes() {
    return attributes;
  }

  /** The memories this device can address (empty if not addressable). */
  public List<PjrtMemory> memories() {
    return memories;
  }

  /** The default memory, or null if the plugin has none. */
  public PjrtMemory defaultMemory() {
    return defaultMemory;
  }

  public PjrtClient client() {
    return client;
  }

  long handle() {
    return handle;
  }

  @Override
  public String toString() {
    return description;
  }
}
