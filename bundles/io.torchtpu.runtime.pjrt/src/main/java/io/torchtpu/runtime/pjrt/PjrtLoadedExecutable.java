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
  /** The outputs' types when every dimension is static (then outputs need no query), else null. */
  private final TensorSpec[] staticOutputs;
  private final PjrtDevice[] deviceArray;
  private final String executionName;

  PjrtLoadedExecutable(PjrtClient client, long handle, List<TensorSpec> parameters, CompileOptions options) {
    this.client = client;
    this.resource = NativeResource.of("PjrtLoadedExecutable", client.api(), handle,
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
      this.deviceArray = devs.toArray(new PjrtDevice[0]);
      boolean known = true;
      for (TensorSpec o : outputs) known &= o.elementCount() >= 0;
      this.staticOutputs = known ? outputs.toArray(new TensorSpec[0]) : null;
      this.executionName = "the execution of " + name;
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
    if (deviceArray.length != 1) {
      throw new IllegalArgumentException(name + " runs on " + devices.size()
          + " devices; use executeReplicated with one argument list per device");
    }
    return run(new PjrtBuffer[][] {args})[0];
  }

  /**
   * Runs with one argument list per addressable device (in {@link #addressableDevices()}
   * order) and waits until every device is done. Returns the outputs per device.
   */
  public List<PjrtBuffer[]> executeReplicated(List<PjrtBuffer[]> argsPerDevice) {
    Objects.requireNonNull(argsPerDevice, "argument lists");
    if (argsPerDevice.size() != deviceArray.length) {
      throw new IllegalArgumentException(name + " runs on " + devices.size() + " device(s) but got "
          + argsPerDevice.size() + " argument list(s)");
    }
    return Arrays.asList(run(argsPerDevice.toArray(new PjrtBuffer[0][])));
  }

  /**
   * The hot path: checks in Java, one JNI call, then outputs built from the types and devices
   * known since compilation (a query per output only for dynamic shapes). A completion event
   * that had fired by the time Execute returned arrives as 0 and costs nothing more.
   */
  private PjrtBuffer[][] run(PjrtBuffer[][] argsPerDevice) {
    int nd = argsPerDevice.length;
    int na = argsPerDevice[0] == null ? 0 : argsPerDevice[0].length;
    int no = outputs.size();
    NativeResource[] held = new NativeResource[1 + nd * na];
    int count = 0;
    long exeHandle = resource.acquire();
    held[count++] = resource;
    try {
      long[] handles = new long[nd * na];
      for (int d = 0; d < nd; d++) {
        count = checkAndAcquire(argsPerDevice[d], d, nd, na, handles, held, count);
      }
      long[] flat = new long[nd * no + nd];
      PjrtNative.execute(client.api(), exeHandle, handles, nd, no, 0, flat);
      PjrtBuffer[][] result = new PjrtBuffer[nd][no];
      RuntimeException failure = null;
      for (int d = 0; d < nd; d++) {
        for (int o = 0; o < no; o++) {
          long out = flat[d * no + o];
          try {
            result[d][o] = staticOutputs != null
                ? new PjrtBuffer(client, out, staticOutputs[o], deviceArray[d], null, 0)
                : new PjrtBuffer(client, out);
          } catch (RuntimeException e) {
            if (failure == null) failure = e;
          }
        }
      }
      try {
        Events.awaitAll(client.api(), flat, nd * no, nd * no + nd, executionName, null,
            count == held.length ? held : Arrays.copyOf(held, count));
      } catch (RuntimeException e) {
        if (failure == null) failure = e;
      }
      if (failure != null) {
        for (PjrtBuffer[] outs : result) for (PjrtBuffer b : outs) if (b != null) b.close();
        throw failure;
      }
      return result;
    } finally {
      for (int i = 0; i < count; i++) held[i].release();
    }
  }

  /** Checks one device's arguments, acquires them into {@code held}; returns the new count. */
  private int checkAndAcquire(PjrtBuffer[] args, int device, int nd, int na, long[] handles, NativeResource[] held,
      int count) {
    String where = nd > 1 ? " (device " + device + ")" : "";
    if (args == null) throw new IllegalArgumentException("argument list" + where + " is null");
    if (parameters != null && args.length != parameters.size()) {
      throw new IllegalArgumentException(name + " expects " + parameters.size() + " argument(s) " + parameters
          + " but got " + args.length + where);
    }
    if (args.length != na) {
      throw new IllegalArgumentException("every device needs the same number of arguments: " + na + " for device 0, "
          + args.length + where);
    }
    PjrtDevice expectedDevice = deviceArray[device];
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
        handles[device * na + i] = b.acquire();
      } catch (IllegalStateException e) {
        throw new IllegalStateException("argument " + i + where + ": " + e.getMessage(), e);
      }
      held[count++] = b.resource();
    }
    return count;
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
