package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A compiled program without devices (PJRT_Executable): its name, output types,
 * serialization, compiled memory statistics and cost analysis. Obtained from
 * {@link PjrtLoadedExecutable#executable()} or, compiled ahead of time without devices, from
 * {@link PjrtTopology#compile}; close it when done.
 */
public final class PjrtExecutable implements AutoCloseable {
  private final long api;
  private final NativeResource resource;
  private final Cleaner.Cleanable cleanable;
  private final String name;
  private final int numReplicas;
  private final int numPartitions;
  private final List<TensorSpec> outputs;

  PjrtExecutable(PjrtClient client, long handle) {
    this(client.api(), handle, client.resource());
  }

  /** An executable owned by its parent resource (a client), or by nothing (parent null: compiled for a topology). */
  PjrtExecutable(long api, long handle, NativeResource parent) {
    this.api = api;
    this.resource = new NativeResource("PjrtExecutable@" + Long.toHexString(handle), api, handle,
        PjrtNative::executableDestroy, parent);
    this.cleanable = NativeResource.CLEANER.register(this, resource);
    try {
      Object[] info = PjrtNative.executableInfo(api, handle);
      this.name = (String) info[0];
      this.numReplicas = (Integer) info[1];
      this.numPartitions = (Integer) info[2];
      int[] types = (int[]) info[3];
      long[][] dims = (long[][]) info[4];
      List<TensorSpec> outs = new ArrayList<>(dims.length);
      for (int i = 0; i < dims.length; i++) outs.add(new TensorSpec(PjrtElementType.of(types[i]), dims[i]));
      this.outputs = Collections.unmodifiableList(outs);
    } catch (RuntimeException e) {
      cleanable.clean();
      throw e;
    }
  }

  public String name() {
    return name;
  }

  public int numReplicas() {
    return numReplicas;
  }

  public int numPartitions() {
    return numPartitions;
  }

  public int numOutputs() {
    return outputs.size();
  }

  /** Element type and dimensions of each output, per device. */
  public List<TensorSpec> outputs() {
    return outputs;
  }

  /** The plugin's serialization (PJRT_Executable_Serialize); only the same plugin build can load it. */
  public byte[] serialize() {
    long h = resource.acquire();
    try {
      return PjrtNative.executableSerialize(api, h);
    } finally {
      resource.release();
    }
  }

  /**
   * What the compiler planned for device memory (HBM on a TPU or GPU) and host memory
   * (PJRT_Executable_GetCompiledMemoryStats).
   *
   * @throws PjrtException UNIMPLEMENTED when the plugin does not report them
   */
  public CompiledMemoryStats memoryStats() {
    long h = resource.acquire();
    try {
      return CompiledMemoryStats.of(PjrtNative.executableMemoryStats(api, h));
    } finally {
      resource.release();
    }
  }

  /**
   * The plugin's cost analysis (PJRT_Executable_GetCostAnalysis): properties such as
   * {@code flops}, {@code bytes accessed}, {@code transcendentals}, {@code optimal_seconds};
   * which ones depends on the plugin. Values are Float, Long, String, Boolean or long[].
   */
  public Map<String, Object> costAnalysis() {
    long h = resource.acquire();
    try {
      return PjrtPlugin.namedValues(PjrtNative.executableCostAnalysis(api, h));
    } finally {
      resource.release();
    }
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
    return "PjrtExecutable[" + name + ", outputs " + outputs + (isClosed() ? ", closed" : "") + "]";
  }
}
