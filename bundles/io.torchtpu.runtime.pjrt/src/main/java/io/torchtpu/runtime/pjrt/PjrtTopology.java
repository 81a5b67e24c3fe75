package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A device topology without devices (PJRT_TopologyDescription): what a plugin would compile
 * for, such as libtpu's {@code v5e:2x2} (four TPU v5e chips). Compiling against it needs no
 * chips: the result is an executable that can be serialized, analysed for memory and cost,
 * and later loaded on a client of the same plugin build with that topology. Created by
 * {@link PjrtPlugin#createTopology}; close it when done (executables compiled from it live on).
 */
public final class PjrtTopology implements AutoCloseable {
  private final PjrtPlugin plugin;
  private final String name;
  private final NativeResource resource;
  private final Cleaner.Cleanable cleanable;
  private final String platformName;
  private final String platformVersion;
  private final Map<String, Object> attributes;
  private final List<PjrtDeviceDescription> devices;

  private PjrtTopology(PjrtPlugin plugin, String name, long handle) {
    this.plugin = plugin;
    this.name = name;
    this.resource = new NativeResource("PjrtTopology[" + name + "]@" + Long.toHexString(handle), plugin.api(),
        handle, PjrtNative::topologyDestroy, null);
    this.cleanable = NativeResource.CLEANER.register(this, resource);
    try {
      Object[] info = PjrtNative.topologyInfo(plugin.api(), handle);
      this.platformName = (String) info[0];
      this.platformVersion = (String) info[1];
      this.attributes = PjrtPlugin.namedValues((Object[]) info[2]);
      Object[] flat = (Object[]) info[3];
      List<PjrtDeviceDescription> list = new ArrayList<>(flat.length);
      for (Object d : flat) list.add(PjrtDeviceDescription.of((Object[]) d));
      this.devices = Collections.unmodifiableList(list);
    } catch (RuntimeException e) {
      cleanable.clean();
      throw e;
    }
  }

  static PjrtTopology create(PjrtPlugin plugin, String name, Map<String, ?> options) {
    Objects.requireNonNull(name, "topology name");
    NamedOptions named = NamedOptions.of(options, "topology");
    plugin.initialize();
    return new PjrtTopology(plugin, name, PjrtNative.topologyCreate(plugin.api(), name, named.names(), named.values()));
  }

  /**
   * Compiles StableHLO (MLIR text) for this topology without devices (PJRT_Compile). The
   * options' replica and partition counts say how many of the topology's devices the program
   * spans. A program too large for a device's memory fails with the compiler's message.
   *
   * @throws PjrtException with the compiler's error code and message
   */
  public PjrtExecutable compile(String mlir, CompileOptions options) {
    Objects.requireNonNull(mlir, "mlir");
    Objects.requireNonNull(options, "options");
    long h = resource.acquire();
    try {
      long exe = PjrtNative.topologyCompile(plugin.api(), h, mlir.getBytes(StandardCharsets.UTF_8), "mlir",
          options.toProto());
      return new PjrtExecutable(plugin.api(), exe, null);
    } finally {
      resource.release();
    }
  }

  public PjrtPlugin plugin() {
    return plugin;
  }

  /** The name it was created with, e.g. {@code v5e:2x2}. */
  public String name() {
    return name;
  }

  /** e.g. "tpu". */
  public String platformName() {
    return platformName;
  }

  /** The plugin's description of the platform, e.g. "TFRT TPU v5 lite ...". */
  public String platformVersion() {
    return platformVersion;
  }

  /** Plugin-specific attributes of the whole topology (libtpu: wrap, twist, device_memory_bytes_limit). */
  public Map<String, Object> attributes() {
    return attributes;
  }

  /** The topology's devices, in the plugin's order. */
  public List<PjrtDeviceDescription> devices() {
    return devices;
  }

  public boolean isClosed() {
    return resource.isClosed();
  }

  @Override
  public void close() {
    resource.close();
    cleanable.clean();
  }

  @Override
  public String toString() {
    return "PjrtTopology[" + name + ", " + platformName + ", " + devices.size() + " device(s)"
        + (isClosed() ? ", closed" : "") + "]";
  }
}
