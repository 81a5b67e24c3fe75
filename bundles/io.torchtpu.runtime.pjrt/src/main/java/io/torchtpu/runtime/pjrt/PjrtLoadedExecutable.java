package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A compiled program loaded on its devices (PJRT_LoadedExecutable). Owns its handle; the
 * output buffers of {@link #execute} are owned by the caller.
 */
public final class PjrtLoadedExecutable implements AutoCloseable {
  private final PjrtClient client;
  private final NativeResource resource;
  private final Cleaner.Cleanable cleanable;
  private final List<TensorSpec> parameters;
  private final CompileOptions options;
  private final String name;
  private final int numReplicas;
  private final int numPartitions;
  private final List<TensorSpec> outputs;
  private final List<PjrtDevice> devices;

  PjrtLoadedExecutable(PjrtClient client, long handle, List<TensorSpec> parameters, CompileOptions options) {
    this.client = client;
    this.resource = new NativeResource("PjrtLoadedExecutable@" + Long.toHexString(handle), client.api(), handle,
        PjrtNative::loadedExecutableDestroy, client.resource());
    this.cleanable = NativeResource.CLEANER.register(this, resource);
    this.parameters = parameters;
    this.options = options;
    try (PjrtExecutable exe = executable()) {
      this.name = exe.name();
      this.numReplicas = exe.numReplicas();
      this.numPartitions = exe.numPartitions();
      this.outputs = exe.outputs();
      List<PjrtDevice> devs = new ArrayList<>();
      for (long d : PjrtNative.loadedExecutableAddressableDevices(client.api(), handle)) devs.add(client.device(d));
      this.devices = Collections.unmodifiableList(devs);
    } catch (RuntimeException e) {
      cleanable.clean();
      throw e;
    }
  }

  public PjrtClient client() {
    return client;
  }

  public String name() {
    return name;
  }

  /**
   * The parameter types read from the program's {@code @main} signature, or null when they
   * are not known (raw deserialized bytes, or text without a recognisable {@code @main});
   * an entry is null where the type is not a ranked tensor.
   */
  public List<TensorSpec> parameters() {
    return parameters;
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

  public List<PjrtElementType> outputElementTypes() {
    List<PjrtElementType> t = new ArrayList<>();
    for (TensorSpec s : outputs) t.add(s.elementType());
    return Collections.unmodifiableList(t);
  }

  /** The devices it runs on, one per replica x partition. */
  public List<PjrtDevice> addressableDevices() {
    return devices;
  }

  /** A new PjrtExecutable view of this program; the caller closes it. */
  public PjrtExecutable executable() {
    long h = resource.acquire();
    try {
      return new PjrtExecutable(client, PjrtNative.loadedExecutableGetExecutable(client.api(), h));
    } finally {
      resource.release();
    }
  }

  /**
   * TorchTPU's serialization: the plugin's bytes plus the parameter types, for
   * {@link PjrtClient#deserialize(byte[])} on the same plugin build.
   */
  public byte[] serialize() {
    try (PjrtExecutable exe = executable()) {
      return SerializedExecutable.write(exe.serialize(), parameters, options);
    }
  }

  /** Runs on the single device of this executable and waits for the outputs. */
  public PjrtBuffer[] execute(PjrtBuffer... args) {
    if (devices.size() != 1) {
      throw new IllegalArgumentException(name + " runs on " + devices.size()
          + " devices; use executeReplicated with one argument list per device");
    }
    return executeReplicated(Collections.singletonList(args)).get(0);
  }

  /**
   * Runs with one argument list per addressable device (in {@link #addressableDevices()}
   * order) and waits until every device is done. Returns the outputs per device.
   */
  public List<PjrtBuffer[]> executeReplicated(List<PjrtBuffer[]> argsPerDevice) {
    Objects.requireNonNull(argsPerDevice, "argument lists");
    if (argsPerDevice.size() != devices.size()) {
      throw new IllegalArgumentException(name + " runs on " + devices.size() + " device(s) but got "
          + argsPerDevice.size() + " argument list(s)");
    }
    int nd = argsPerDevice.size();
    List<NativeResource> held = new ArrayList<>();
    long exeHandle = resource.acquire();
    held.add(resource);
    try {
      long[][] handles = new long[nd][];
      for (int d = 0; d < nd; d++) {
        handles[d] = checkAndAcquire(argsPerDevice.get(d), d, nd, held);
      }
      int no = outputs.size();
      long[] flat = PjrtNative.execute(client.api(), exeHandle, handles, no, 0);
      List<PjrtBuffer[]> result = new ArrayList<>(nd);
      RuntimeException failure = null;
      for (int d = 0; d < nd; d++) {
        PjrtBuffer[] outs = new PjrtBuffer[no];
        for (int o = 0; o < no; o++) {
          try {
            outs[o] = new PjrtBuffer(client, flat[d * no + o]);
          } catch (RuntimeException e) {
            if (failure == null) failure = e;
          }
        }
        result.add(outs);
      }
      try {
        Events.awaitAll(client.api(), Arrays.copyOfRange(flat, nd * no, nd * no + nd), "the execution of " + name,
            null, held.toArray(new NativeResource[0]));
      } catch (RuntimeException e) {
        if (failure == null) failure = e;
      }
      if (failure != null) {
        for (PjrtBuffer[] outs : result) for (PjrtBuffer b : outs) if (b != null) b.close();
        throw failure;
      }
      return result;
    } finally {
      for (NativeResource r : held) r.release();
    }
  }

  private long[] checkAndAcquire(PjrtBuffer[] args, int device, int nd, List<NativeResource> held) {
    String where = nd > 1 ? " (device " + device + ")" : "";
    if (args == null) throw new IllegalArgumentException("argument list" + where + " is null");
    if (parameters != null && args.length != parameters.size()) {
      throw new IllegalArgumentException(name + " expects " + parameters.size() + " argument(s) " + parameters
          + " but got " + args.length + where);
    }
    long[] handles = new long[args.length];
    PjrtDevice expectedDevice = devices.get(device);
    for (int i = 0; i < args.length; i++) {
      PjrtBuffer b = args[i];
      if (b == null) throw new IllegalArgumentException("argument " + i + where + " is null");
      if (b.client() != client) {
        throw new IllegalArgumentException("argument " + i + where + " belongs to another client: " + b);
      }
      TensorSpec expected = parameters == null ? null : parameters.get(i);
      if (expected != null && !expected.accepts(b.spec())) {
        throw new IllegalArgumentException("argument " + i + where + " of " + name + ": expected " + expected
            + ", got " + b.spec());
      }
      if (b.device() != expectedDevice) {
        throw new IllegalArgumentException("argument " + i + where + " is on " + b.device() + " but " + name
            + " runs there on " + expectedDevice);
      }
      try {
        handles[i] = b.acquire();
      } catch (IllegalStateException e) {
        throw new IllegalStateException("argument " + i + where + ": " + e.getMessage(), e);
      }
      held.add(b.resource());
    }
    return handles;
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
    return "PjrtLoadedExecutable[" + name + ", " + (parameters == null ? "?" : parameters) + " -> " + outputs
        + (isClosed() ? ", closed" : "") + "]";
  }
}
