package io.torchtpu.runtime.pjrt;

/** A memory space of a device (e.g. "device", "pinned_host"). Valid while its client is open. */
public final class PjrtMemory {
  private final PjrtClient client;
  private final long handle;
  private final int id;
  private final String kind;
  private final String debugString;
  private final String description;

  PjrtMemory(PjrtClient client, long handle, Object[] info) {
    this.client = client;
    this.handle = handle;
    this.id = (Integer) info[0];
    this.kind = (String) info[1];
    this.debugString = (String) info[2];
    this.description = (String) info[3];
  }

  public int id() {
    return id;
  }

  public String kind() {
    return kind;
  }

  public String debugString() {
    return debugString;
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
