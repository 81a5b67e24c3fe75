package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;

/** An array on a device. Owns one PJRT_Buffer; close it when done. */
public final class PjrtBuffer implements AutoCloseable {
  /**
   * Whether toHost copies a ready buffer that lives in host memory itself instead of asking the
   * plugin ({@code -Dtorchtpu.pjrt.cpuDirectCopy=false} turns it off).
   */
  static final boolean CPU_DIRECT_COPY =
      Boolean.parseBoolean(System.getProperty("torchtpu.pjrt.cpuDirectCopy", "true"));

  private final PjrtClient client;
  private final NativeResource resource;
  private final Cleaner.Cleanable cleanable;
  private final TensorSpec spec;
  private final PjrtDevice device;
  private final boolean aliasesHost;
  private volatile long onDeviceSize = -1;
  private volatile long hostSize = -1;

  /** A buffer whose element type, dimensions and device are asked of the plugin. */
  PjrtBuffer(PjrtClient client, long handle) {
    this(client, handle, null, null, null, 0);
  }

  /**
   * A buffer whose type and device the caller knows already (an upload, or an output of an
   * executable with static shapes): no call to the plugin. {@code hostMemory}, when not null,
   * is host memory the buffer may alias (a zero-copy upload): it stays reachable until the
   * buffer is destroyed and {@code doneEvent} (the plugin's done-with-host-buffer event, or 0)
   * has fired.
   */
  PjrtBuffer(PjrtClient client, long handle, TensorSpec spec, PjrtDevice device, ByteBuffer hostMemory,
      long doneEvent) {
    this.client = client;
    this.aliasesHost = hostMemory != null && doneEvent != 0;
    NativeResource.Destroyer destroyer = aliasesHost ? zeroCopyDestroyer(hostMemory, doneEvent, client.resource())
        : PjrtNative::bufferDestroy;
    this.resource = NativeResource.of("PjrtBuffer", client.api(), handle, destroyer, client.resource());
    this.cleanable = NativeResource.CLEANER.register(this, resource);
    if (spec == null || device == null) {
      try {
        long[] info = PjrtNative.bufferInfo(client.api(), handle);
        spec = new TensorSpec(PjrtElementType.of((int) info[0]), Arrays.copyOfRange(info, 2, info.length));
        device = client.device(info[1]);
      } catch (RuntimeException e) {
        cleanable.clean();
        throw e;
      }
    }
    this.spec = spec;
    this.device = device;
  }

  /** Destroys the buffer, then lets the host memory go once the plugin's done event fires. Captures no PjrtBuffer. */
  private static NativeResource.Destroyer zeroCopyDestroyer(ByteBuffer hostMemory, long doneEvent,
      NativeResource client) {
    return (api, handle) -> {
      try {
        PjrtNative.bufferDestroy(api, handle);
      } catch (RuntimeException e) {
        Events.keepForever(hostMemory); // the buffer may still alias it; its done event may never come
        throw e;
      }
      Events.releaseWhenDone(api, doneEvent, hostMemory, client);
    };
  }

  /** What the plugin reports now: {elementType, device, dims...} (tests compare it with what this object assumed). */
  long[] queryInfo() {
    long h = acquire();
    try {
      return PjrtNative.bufferInfo(client.api(), h);
    } finally {
      resource.release();
    }
  }

  public PjrtClient client() {
    return client;
  }

  public TensorSpec spec() {
    return spec;
  }

  public PjrtElementType elementType() {
    return spec.elementType();
  }

  public long[] dims() {
    return spec.dims();
  }

  public long elementCount() {
    return spec.elementCount();
  }

  /** The size the plugin allocated on the device (asked of it on the first call). */
  public long onDeviceSizeInBytes() {
    long size = onDeviceSize;
    if (size < 0) {
      long h = acquire();
      try {
        onDeviceSize = size = PjrtNative.bufferOnDeviceSize(client.api(), h);
      } finally {
        resource.release();
      }
    }
    return size;
  }

  /**
   * True when this buffer shares host memory given to {@link PjrtClient#bufferFromHostZeroCopy}
   * instead of holding a copy.
   */
  public boolean aliasesHost() {
    return aliasesHost;
  }

  public PjrtDevice device() {
    return device;
  }

  /** Size of the dense host copy in bytes. */
  public long hostSizeInBytes() {
    long h = acquire();
    try {
      return hostSize(h);
    } finally {
      resource.release();
    }
  }

  /** The buffer never changes, so its host size is asked of the plugin once. */
  private long hostSize(long h) {
    long size = hostSize;
    if (size < 0) hostSize = size = PjrtNative.bufferHostSize(client.api(), h);
    return size;
  }

  /**
   * Copies the array into {@code dst} from its position (dense, row-major, platform byte
   * order) and advances the position. A heap buffer is filled through a direct copy.
   * Waits for the copy; an interrupted wait throws PjrtException(CANCELLED).
   */
  public ByteBuffer toHost(ByteBuffer dst) {
    Objects.requireNonNull(dst, "destination");
    long h = acquire();
    try {
      long size = hostSize(h);
      if (dst.remaining() < size) {
        throw new IllegalArgumentException("destination has " + dst.remaining() + " bytes left but " + this
            + " needs " + size);
      }
      if (dst.isReadOnly()) throw new IllegalArgumentException("destination is read-only");
      ByteBuffer target = dst.isDirect() ? dst : ByteBuffer.allocateDirect((int) size);
      long offset = dst.isDirect() ? dst.position() : 0;
      long event = CPU_DIRECT_COPY && PjrtNative.bufferCopyFromCpu(client.api(), h, target, offset, size) ? 0
          : PjrtNative.bufferToHost(client.api(), h, target, offset, size);
      if (event != 0) {
        Events.await(client.api(), event, (Supplier<String>) () -> "the copy of " + this + " to the host", target,
            resource);
      }
      if (!dst.isDirect()) dst.put(target);
      else dst.position(dst.position() + (int) size);
      return dst;
    } finally {
      resource.release();
    }
  }

  /** A new direct buffer in native byte order holding the array. */
  public ByteBuffer toHost() {
    long size = hostSizeInBytes();
    ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(size)).order(ByteOrder.nativeOrder());
    toHost(b);
    return b.flip();
  }

  public byte[] toByteArray() {
    ByteBuffer b = toHost();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  public float[] toFloatArray() {
    requireType(PjrtElementType.F32);
    ByteBuffer b = toHost();
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  public double[] toDoubleArray() {
    requireType(PjrtElementType.F64);
    ByteBuffer b = toHost();
    double[] out = new double[b.remaining() / 8];
    b.asDoubleBuffer().get(out);
    return out;
  }

  public int[] toIntArray() {
    requireType(PjrtElementType.S32);
    ByteBuffer b = toHost();
    int[] out = new int[b.remaining() / 4];
    b.asIntBuffer().get(out);
    return out;
  }

  public long[] toLongArray() {
    requireType(PjrtElementType.S64);
    ByteBuffer b = toHost();
    long[] out = new long[b.remaining() / 8];
    b.asLongBuffer().get(out);
    return out;
  }

  private void requireType(PjrtElementType t) {
    if (spec.elementType() != t) throw new IllegalStateException(this + " is not " + t);
  }

  /**
   * This buffer's own memory, when it is a ready, dense array in host memory (the XLA CPU plugin's), for
   * another client of the same plugin to alias with {@link PjrtClient#bufferFromHostZeroCopy}; null when it
   * is not one. The memory is this buffer's: whoever reads it keeps the buffer open meanwhile.
   */
  ByteBuffer hostView() {
    long h = acquire();
    try {
      ByteBuffer view = PjrtNative.bufferHostView(client.api(), h, hostSize(h));
      return view == null ? null : view.order(ByteOrder.nativeOrder());
    } finally {
      resource.release();
    }
  }

  long acquire() {
    return resource.acquire();
  }

  NativeResource resource() {
    return resource;
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
    return "PjrtBuffer[" + spec + " on " + device + (isClosed() ? ", closed" : "") + "]";
  }
}
