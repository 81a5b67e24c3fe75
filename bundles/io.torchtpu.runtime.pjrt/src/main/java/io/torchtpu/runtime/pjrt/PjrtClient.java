package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A PJRT client: the devices of one plugin, and the factory of executables and buffers.
 * Closing the client closes every executable and buffer it created.
 */
public final class PjrtClient implements AutoCloseable {
  private final PjrtPlugin plugin;
  private final NativeResource resource;
  private final Cleaner.Cleanable cleanable;
  private final String platformName;
  private final String platformVersion;
  private final int processIndex;
  private final Map<Long, PjrtMemory> memories = new HashMap<>();
  private final Map<Long, PjrtDevice> devicesByHandle = new HashMap<>();
  private final List<PjrtDevice> devices;
  private final List<PjrtDevice> addressableDevices;

  private PjrtClient(PjrtPlugin plugin, long handle) {
    this.plugin = plugin;
    long api = plugin.api();
    this.resource = new NativeResource("PjrtClient@" + Long.toHexString(handle), api, handle,
        PjrtNative::clientDestroy, null);
    this.cleanable = NativeResource.CLEANER.register(this, resource);
    try {
      Object[] info = PjrtNative.clientInfo(api, handle);
      this.platformName = (String) info[0];
      this.platformVersion = (String) info[1];
      this.processIndex = (Integer) info[2];
      this.devices = deviceList(PjrtNative.clientDevices(api, handle, false));
      this.addressableDevices = deviceList(PjrtNative.clientDevices(api, handle, true));
    } catch (RuntimeException e) {
      cleanable.clean();
      throw e;
    }
  }

  /**
   * Creates a client. Option values may be String, Integer/Long, long[], Float/Double or
   * Boolean (e.g. the XLA CPU plugin's {@code cpu_device_count}). Initializes the plugin
   * first if needed.
   */
  public static PjrtClient create(PjrtPlugin plugin, Map<String, ?> options) {
    Objects.requireNonNull(plugin, "plugin");
    NamedOptions named = NamedOptions.of(options, "client");
    plugin.initialize();
    return new PjrtClient(plugin, PjrtNative.clientCreate(plugin.api(), named.names(), named.values()));
  }

  private List<PjrtDevice> deviceList(long[] handles) {
    List<PjrtDevice> list = new ArrayList<>();
    for (long h : handles) {
      PjrtDevice d = devicesByHandle.get(h);
      if (d == null) {
        d = new PjrtDevice(this, h, PjrtNative.deviceInfo(resource.api(), h));
        devicesByHandle.put(h, d);
      }
      list.add(d);
    }
    return Collections.unmodifiableList(list);
  }

  PjrtMemory memory(long handle) {
    return memories.computeIfAbsent(handle, h -> new PjrtMemory(this, h, PjrtNative.memoryInfo(resource.api(), h)));
  }

  PjrtDevice device(long handle) {
    PjrtDevice d = devicesByHandle.get(handle);
    if (d == null) throw new IllegalStateException("device " + Long.toHexString(handle) + " is not one of " + this);
    return d;
  }

  NativeResource resource() {
    return resource;
  }

  long api() {
    return resource.api();
  }

  public PjrtPlugin plugin() {
    return plugin;
  }

  /** e.g. "cpu", "cuda", "tpu". */
  public String platformName() {
    return platformName;
  }

  public String platformVersion() {
    return platformVersion;
  }

  public int processIndex() {
    return processIndex;
  }

  /** All devices, addressable or not. */
  public List<PjrtDevice> devices() {
    return devices;
  }

  /** The devices this process can run on and transfer to. */
  public List<PjrtDevice> addressableDevices() {
    return addressableDevices;
  }

  /** The memories of all addressable devices. */
  public List<PjrtMemory> memories() {
    List<PjrtMemory> all = new ArrayList<>();
    for (PjrtDevice d : addressableDevices) {
      for (PjrtMemory m : d.memories()) if (!all.contains(m)) all.add(m);
    }
    return Collections.unmodifiableList(all);
  }

  // ------------------------------------------------------------------ compile

  /** Compiles StableHLO (MLIR text) with the default options. */
  public PjrtLoadedExecutable compile(String mlir) {
    return compile(mlir, CompileOptions.defaults());
  }

  /**
   * Compiles a StableHLO module in MLIR text form.
   *
   * @throws PjrtException with the plugin's diagnostics (line:col) if the program is invalid
   */
  public PjrtLoadedExecutable compile(String mlir, CompileOptions options) {
    if (mlir == null || mlir.isBlank()) throw new IllegalArgumentException("MLIR program text is null or empty");
    Objects.requireNonNull(options, "options");
    byte[] code = mlir.getBytes(StandardCharsets.UTF_8);
    byte[] proto = options.toProto();
    long handle = resource.acquire();
    try {
      long exe = PjrtNative.clientCompile(api(), handle, code, "mlir", proto);
      return new PjrtLoadedExecutable(this, exe, MlirSignature.parameters(mlir), options);
    } finally {
      resource.release();
    }
  }

  /**
   * Loads an executable produced by {@link PjrtLoadedExecutable#serialize()} (or the raw bytes
   * of PJRT_Executable_Serialize) on this client. It must come from the same plugin build.
   */
  public PjrtLoadedExecutable deserialize(byte[] serialized) {
    Objects.requireNonNull(serialized, "serialized executable");
    SerializedExecutable s = SerializedExecutable.read(serialized);
    long handle = resource.acquire();
    try {
      long exe = PjrtNative.executableDeserializeAndLoad(api(), handle, s.pjrtBytes(), null);
      return new PjrtLoadedExecutable(this, exe, s.parameters(), s.options());
    } finally {
      resource.release();
    }
  }

  // ------------------------------------------------------------------ buffers

  /** Copies a dense row-major host array to the first addressable device. */
  public PjrtBuffer bufferFromHost(ByteBuffer data, PjrtElementType type, long... dims) {
    return bufferFromHost(data, type, dims, null);
  }

  /**
   * Copies the bytes from {@code data}'s position to its limit (dense, row-major, in the
   * platform's byte order, i.e. little-endian on x86) to {@code device}, or to the first
   * addressable device if null. The data is read during the call only.
   */
  public PjrtBuffer bufferFromHost(ByteBuffer data, PjrtElementType type, long[] dims, PjrtDevice device) {
    return upload(data, type, dims, device, false);
  }

  /**
   * Like {@link #bufferFromHost(ByteBuffer, PjrtElementType, long[], PjrtDevice)}, but lets the
   * plugin use {@code data} in place instead of copying it where it can: a direct buffer whose
   * bytes start on a 64-byte boundary (see {@link #allocateHostBuffer}), on a plugin that
   * aliases host memory (the XLA CPU plugin does; device plugins copy, possibly after this call
   * returns). Otherwise the bytes are copied during the call, as bufferFromHost does;
   * {@link PjrtBuffer#aliasesHost()} tells which happened.
   *
   * <p>The caller promises not to change those bytes until the buffer is closed. The buffer
   * keeps {@code data} reachable until it is closed (or collected) and the plugin has
   * signalled that it is done with the memory. Memory that Java does not own (a ByteBuffer
   * made by native code over foreign memory) must outlive the buffer by the caller's care.
   */
  public PjrtBuffer bufferFromHostZeroCopy(ByteBuffer data, PjrtElementType type, long[] dims, PjrtDevice device) {
    return upload(data, type, dims, device, true);
  }

  /**
   * A zero-filled direct buffer of {@code bytes} bytes in native byte order whose first byte
   * lies on a 64-byte boundary, the alignment {@link #bufferFromHostZeroCopy} needs.
   */
  public static ByteBuffer allocateHostBuffer(int bytes) {
    if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
    // alignedSlice rounds both ends inwards to 64 bytes: room for a whole number of 64-byte units
    int room = Math.toIntExact(((bytes + 63L) & ~63L) + 64L);
    return ByteBuffer.allocateDirect(room).alignedSlice(64).limit(bytes).slice().order(ByteOrder.nativeOrder());
  }

  private PjrtBuffer upload(ByteBuffer data, PjrtElementType type, long[] dims, PjrtDevice device, boolean zeroCopy) {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(type, "element type");
    Objects.requireNonNull(dims, "dims");
    if (type == PjrtElementType.INVALID || type == PjrtElementType.TOKEN) {
      throw new IllegalArgumentException("cannot make a buffer of element type " + type);
    }
    TensorSpec spec = new TensorSpec(type, dims);
    for (long d : dims) {
      if (d < 0) throw new IllegalArgumentException("dimensions must be known and >= 0, got " + spec);
    }
    long need = spec.hostByteSize();
    if (data.remaining() != need) {
      throw new IllegalArgumentException("host data has " + data.remaining() + " bytes but " + spec + " needs " + need);
    }
    PjrtDevice target = device != null ? device : defaultDevice();
    if (target.client() != this) {
      throw new IllegalArgumentException("device " + target + " belongs to another client");
    }
    if (!target.isAddressable()) throw new IllegalArgumentException("device " + target + " is not addressable");
    ByteBuffer direct = data;
    long offset = data.position();
    if (!data.isDirect()) {
      direct = ByteBuffer.allocateDirect((int) need);
      direct.put(data.duplicate());
      offset = 0;
      zeroCopy = false; // a private copy already
    }
    long[] done = zeroCopy ? new long[1] : null;
    long handle = resource.acquire();
    try {
      long buf = PjrtNative.bufferFromHost(api(), handle, direct, offset, type.code(), spec.dims(), target.handle(), 0,
          done);
      return new PjrtBuffer(this, buf, spec, target, zeroCopy ? direct : null, zeroCopy ? done[0] : 0);
    } finally {
      resource.release();
    }
  }

  private PjrtDevice defaultDevice() {
    if (addressableDevices.isEmpty()) throw new IllegalStateException(this + " has no addressable device");
    return addressableDevices.get(0);
  }

  public PjrtBuffer buffer(float[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(values);
    return bufferFromHost(b, PjrtElementType.F32, dims);
  }

  public PjrtBuffer buffer(double[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocateDirect(values.length * 8).order(ByteOrder.nativeOrder());
    b.asDoubleBuffer().put(values);
    return bufferFromHost(b, PjrtElementType.F64, dims);
  }

  public PjrtBuffer buffer(int[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
    b.asIntBuffer().put(values);
    return bufferFromHost(b, PjrtElementType.S32, dims);
  }

  public PjrtBuffer buffer(long[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocateDirect(values.length * 8).order(ByteOrder.nativeOrder());
    b.asLongBuffer().put(values);
    return bufferFromHost(b, PjrtElementType.S64, dims);
  }

  /** Raw host bytes of any element type. */
  public PjrtBuffer buffer(byte[] raw, PjrtElementType type, long... dims) {
    return bufferFromHost(ByteBuffer.wrap(raw), type, dims);
  }

  public boolean isClosed() {
    return resource.isClosed();
  }

  /** Closes every executable and buffer of this client, then the client. Idempotent. */
  @Override
  public void close() {
    resource.close();
    cleanable.clean();
  }

  @Override
  public String toString() {
    return "PjrtClient[" + platformName + " " + platformVersion + ", " + addressableDevices.size() + " device(s)"
        + (isClosed() ? ", closed" : "") + "]";
  }
}
