package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/** An array on a device. Owns one PJRT_Buffer; close it when done. */
public final class PjrtBuffer implements AutoCloseable {
  private final PjrtClient client;
  private final NativeResource resource;
  private final Cleaner.Cleanable cleanable;
  private final TensorSpec spec;
  private final long onDeviceSize;
  private final PjrtDevice device;

  PjrtBuffer(PjrtClient client, long handle) {
    this.client = client;
    this.resource = new NativeResource("PjrtBuffer@" + Long.toHexString(handle), client.api(), handle,
        PjrtNative::bufferDestroy, client.resource());
    this.cleanable = NativeResource.CLEANER.register(this, resource);
    try {
      Object[] info = PjrtNative.bufferInfo(client.api(), handle);
      this.spec = new TensorSpec(PjrtElementType.of((Integer) info[0]), (long[]) info[1]);
      this.onDeviceSize = (Long) info[2];
      this.device = client.device((Long) info[3]);
    } catch (RuntimeException e) {
      cleanable.clean();
      throw e;
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

  public long onDeviceSizeInBytes() {
    return onDeviceSize;
  }

  public PjrtDevice device() {
    return device;
  }

  /** Size of the dense host copy in bytes. */
  public long hostSizeInBytes() {
    long h = acquire();
    try {
      return PjrtNative.bufferHostSize(client.api(), h);
    } finally {
      resource.release();
    }
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
      long size = PjrtNative.bufferHostSize(client.api(), h);
      if (dst.remaining() < size) {
        throw new IllegalArgumentException("destination has " + dst.remaining() + " bytes left but " + this
            + " needs " + size);
      }
      if (dst.isReadOnly()) throw new IllegalArgumentException("destination is read-only");
      ByteBuffer target = dst.isDirect() ? dst : ByteBuffer.allocateDirect((int) size);
      long offset = dst.isDirect() ? dst.position() : 0;
      long event = PjrtNative.bufferToHost(client.api(), h, target, offset, size);
      Events.await(client.api(), event, "the copy of " + this + " to the host", target, resource);
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
