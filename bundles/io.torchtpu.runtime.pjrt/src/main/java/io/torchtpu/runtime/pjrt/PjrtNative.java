package io.torchtpu.runtime.pjrt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The JNI entry points of libtorchtpu_pjrt (native/pjrt_jni.c). Handles are raw
 * pointers as longs; the Java classes of this package own them. Arguments are
 * checked by the callers before they get here.
 */
final class PjrtNative {
  static final String LIBRARY = "torchtpu_pjrt";
  static final String RESOURCE = "/native/linux-x86_64/libtorchtpu_pjrt.so";

  static {
    load();
  }

  private PjrtNative() {}

  /**
   * Inside OSGi, Bundle-NativeCode makes System.loadLibrary find the library. Elsewhere
   * the library is taken from {@code -Dtorchtpu.pjrt.jni=/path/lib.so} or extracted
   * from the class path to a temporary file.
   */
  private static void load() {
    String explicit = System.getProperty("torchtpu.pjrt.jni");
    if (explicit != null && !explicit.isBlank()) {
      System.load(Path.of(explicit).toAbsolutePath().toString());
      return;
    }
    try {
      System.loadLibrary(LIBRARY);
      return;
    } catch (UnsatisfiedLinkError notOnLibraryPath) {
      // fall back to the copy in the jar / class path
    }
    try (InputStream in = PjrtNative.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new UnsatisfiedLinkError("lib" + LIBRARY + ".so is neither on java.library.path nor on the class path at "
            + RESOURCE + " (build the module with mvn, or set -Dtorchtpu.pjrt.jni)");
      }
      Path tmp = Files.createTempFile("libtorchtpu_pjrt", ".so");
      tmp.toFile().deleteOnExit();
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      System.load(tmp.toAbsolutePath().toString());
    } catch (IOException e) {
      UnsatisfiedLinkError err = new UnsatisfiedLinkError("cannot extract " + RESOURCE + ": " + e);
      err.initCause(e);
      throw err;
    }
  }

  // plugin
  static native int[] headerVersion();
  static native long loadPlugin(String path);
  static native int[] apiVersion(long api);
  static native void pluginInitialize(long api);
  static native Object[] pluginAttributes(long api);
  static native void registerFfiHandler(long api, String target, String platform, long handler);

  // client
  static native long clientCreate(long api, String[] names, Object[] values);
  static native void clientDestroy(long api, long client);
  static native Object[] clientInfo(long api, long client);
  static native long[] clientDevices(long api, long client, boolean addressable);
  static native Object[] deviceInfo(long api, long device);
  static native Object[] memoryInfo(long api, long memory);

  // executables
  static native long clientCompile(long api, long client, byte[] code, String format, byte[] options);
  static native void loadedExecutableDestroy(long api, long exe);
  static native long loadedExecutableGetExecutable(long api, long exe);
  static native long[] loadedExecutableAddressableDevices(long api, long exe);
  static native void executableDestroy(long api, long exe);
  static native Object[] executableInfo(long api, long exe);
  static native byte[] executableSerialize(long api, long exe);
  static native long executableDeserializeAndLoad(long api, long client, byte[] bytes, byte[] options);
  /**
   * args: buffer handles device-major (numDevices x numArgs); out (numDevices*numOutputs +
   * numDevices): the outputs device-major, then each device's completion event, 0 where it
   * had already completed without error.
   */
  static native void execute(long api, long exe, long[] args, int numDevices, int numOutputs, long executeDevice,
      long[] out);

  // buffers
  /**
   * With {@code done} (a long[1]) and 64-byte aligned data, a zero-copy upload: done[0] gets the
   * done-with-host-buffer event (0 if the plugin copied), to await after the buffer is destroyed.
   */
  static native long bufferFromHost(long api, long client, ByteBuffer data, long offset, int type, long[] dims,
      long device, long memory, long[] done);
  static native void bufferDestroy(long api, long buffer);
  /** {elementType, device, dims...} */
  static native long[] bufferInfo(long api, long buffer);
  static native long bufferOnDeviceSize(long api, long buffer);
  static native long bufferHostSize(long api, long buffer);
  static native long bufferToHost(long api, long buffer, ByteBuffer dst, long offset, long size);
  /**
   * Copies a ready, dense buffer that lives in host memory (the XLA CPU plugin's) straight into
   * {@code dst}; false (nothing thrown) when the ordinary bufferToHost must be used.
   */
  static native boolean bufferCopyFromCpu(long api, long buffer, ByteBuffer dst, long offset, long size);
  /**
   * A direct buffer over the memory of a ready, dense buffer of {@code size} bytes that lives in host memory,
   * for another client of the plugin to alias; null (nothing thrown) when it is not one.
   */
  static native ByteBuffer bufferHostView(long api, long buffer, long size);

  // environment, before a plugin loads
  static native String getEnvironment(String name);
  /**
   * Sets a variable, replacing a value it has only with {@code overwrite}; returns the value before (null
   * when unset).
   */
  static native String setEnvironment(String name, String value, boolean overwrite);

  // topologies and deviceless (ahead-of-time) compilation
  static native long topologyCreate(long api, String name, String[] names, Object[] values);
  static native void topologyDestroy(long api, long topology);
  static native Object[] topologyInfo(long api, long topology);
  static native long topologyCompile(long api, long topology, byte[] code, String format, byte[] options);

  // executable analysis
  static native long[] executableMemoryStats(long api, long exe);
  static native Object[] executableCostAnalysis(long api, long exe);

  // events
  static native boolean eventIsReady(long api, long event);
  /** A native waiter on the event (PJRT_Event_OnReady); 0 if the plugin refuses OnReady. Release it. */
  static native long eventWaiter(long api, long event);
  /** Spins up to {@code spinNanos}, then sleeps, until the event fired (true) or {@code nanos} passed. */
  static native boolean waiterWait(long waiter, long spinNanos, long nanos);
  static native void waiterRelease(long waiter);
  static native void eventCheck(long api, long event);
  static native void eventAwait(long api, long event);
  static native void eventDestroy(long api, long event);
}
