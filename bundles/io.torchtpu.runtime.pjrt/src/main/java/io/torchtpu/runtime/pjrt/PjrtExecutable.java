package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A compiled program without devices (PJRT_Executable): its name, output types and
 * serialization. Obtained from {@link PjrtLoadedExecutable#executable()}; close it when done.
 */
public final class PjrtExecutable implements AutoCloseable {
  private final PjrtClient client;
  private final NativeResource resource;
  private final Cleaner.Cleanable cleanable;
  private final String name;
  private final int numReplicas;
  private final int numPartitions;
  private final List<TensorSpec> outputs;

  PjrtExecutable(PjrtClient client, long handle) {
    this.client = client;
    this.resource = new NativeResource("PjrtExecutable@" + Long.toHexString(handle), client.api(), handle,
        PjrtNative::executableDestroy, client.resource());
    this.cleanable = NativeResource.CLEANER.register(this, resource);
    try {
      Object[] info = PjrtNative.executableInfo(client.api(), handle);
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
      return PjrtNative.executableSerialize(client.api(), h);
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
