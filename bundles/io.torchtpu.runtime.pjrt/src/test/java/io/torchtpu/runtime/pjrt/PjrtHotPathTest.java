package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bridge's fast paths: outputs without metadata queries, zero-copy uploads, event waits. */
class PjrtHotPathTest {
  static PjrtClient client;

  @BeforeAll
  static void open() {
    client = PjrtTestSupport.plugin().createClient();
  }

  @AfterAll
  static void close() {
    if (client != null) client.close();
  }

  private static void assertAsThePluginSays(PjrtBuffer b) {
    long[] info = b.queryInfo();
    assertEquals(b.elementType(), PjrtElementType.of((int) info[0]), "element type of " + b);
    assertEquals(b.device(), b.client().device(info[1]), "device of " + b);
    assertArrayEquals(b.dims(), Arrays.copyOfRange(info, 2, info.length), "dims of " + b);
  }

  @Test
  void outputsTakenFromTheExecutableAreWhatThePluginReports() {
    try (PjrtLoadedExecutable exe = client.compile(Programs.MULTI_OUTPUT);
         PjrtBuffer ba = client.buffer(new double[] {1, 2, 3, 4}, 2, 2);
         PjrtBuffer bb = client.buffer(new double[] {1, 2, 3, 4}, 2, 2);
         PjrtBuffer bn = client.buffer(new int[] {1, 2, 3}, 3)) {
      PjrtBuffer[] out = exe.execute(ba, bb, bn);
      try {
        for (PjrtBuffer o : out) assertAsThePluginSays(o);
        assertTrue(out[0].onDeviceSizeInBytes() >= 32);
        assertEquals(32, out[0].hostSizeInBytes());
      } finally {
        for (PjrtBuffer o : out) o.close();
      }
      assertAsThePluginSays(ba);
    }
    try (PjrtClient multi = PjrtTestSupport.plugin().createClient(Map.of("cpu_device_count", 2));
         PjrtLoadedExecutable exe = multi.compile(Programs.ADD_F32_4, CompileOptions.defaults().withNumReplicas(2))) {
      List<PjrtBuffer[]> args = new ArrayList<>();
      for (PjrtDevice dev : exe.addressableDevices()) {
        ByteBuffer data = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        PjrtBuffer x = multi.bufferFromHost(data, PjrtElementType.F32, new long[] {4}, dev);
        assertAsThePluginSays(x);
        args.add(new PjrtBuffer[] {x, x});
      }
      for (PjrtBuffer[] outs : exe.executeReplicated(args)) {
        assertAsThePluginSays(outs[0]);
        outs[0].close();
      }
    }
  }

  @Test
  void zeroCopyUploadIsRightAndClosesCleanly() {
    ByteBuffer host = PjrtClient.allocateHostBuffer(16);
    host.asFloatBuffer().put(new float[] {1, 2, 3, 4});
    try (PjrtLoadedExecutable exe = client.compile(Programs.ADD_F32_4)) {
      PjrtBuffer x = client.bufferFromHostZeroCopy(host, PjrtElementType.F32, new long[] {4}, null);
      if (client.platformName().equals("cpu")) assertTrue(x.aliasesHost(), "the XLA CPU plugin aliases aligned memory");
      assertAsThePluginSays(x);
      assertArrayEquals(new float[] {1, 2, 3, 4}, x.toFloatArray());
      PjrtBuffer[] out = exe.execute(x, x);
      try (PjrtBuffer r = out[0]) {
        assertArrayEquals(new float[] {2, 4, 6, 8}, r.toFloatArray());
      }
      x.close();
      assertTrue(x.isClosed());
      assertThrows(IllegalStateException.class, x::toFloatArray);
      assertThrows(IllegalStateException.class, () -> exe.execute(x, x));
      // the memory is the caller's again: reuse it for another upload
      host.asFloatBuffer().put(new float[] {5, 6, 7, 8});
      try (PjrtBuffer y = client.bufferFromHostZeroCopy(host, PjrtElementType.F32, new long[] {4}, null);
           PjrtBuffer r = exe.execute(y, y)[0]) {
        assertArrayEquals(new float[] {10, 12, 14, 16}, r.toFloatArray());
      }
    }
  }

  @Test
  void unalignedOrHeapDataIsCopied() {
    ByteBuffer aligned = PjrtClient.allocateHostBuffer(20);
    ByteBuffer unaligned = aligned.position(4).slice().order(ByteOrder.nativeOrder());
    unaligned.asFloatBuffer().put(new float[] {1, 2, 3, 4});
    ByteBuffer heap = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
    heap.asFloatBuffer().put(new float[] {1, 2, 3, 4});
    for (ByteBuffer data : List.of(unaligned, heap)) {
      try (PjrtBuffer b = client.bufferFromHostZeroCopy(data, PjrtElementType.F32, new long[] {4}, null)) {
        assertFalse(b.aliasesHost(), "copied: " + data);
        data.putFloat(0, 100); // a copy does not see later writes
        assertArrayEquals(new float[] {1, 2, 3, 4}, b.toFloatArray());
        data.putFloat(0, 1);
      }
    }
  }

  @Test
  void zeroCopyBuffersGoWithTheirClientOrTheCleaner() {
    try (PjrtClient own = PjrtTestSupport.plugin().createClient()) {
      List<PjrtBuffer> kept = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        ByteBuffer host = PjrtClient.allocateHostBuffer(4096);
        host.putInt(0, i);
        PjrtBuffer b = own.bufferFromHostZeroCopy(host, PjrtElementType.S32, new long[] {1024}, null);
        if (i % 2 == 0) kept.add(b); // the odd ones are left to the Cleaner
      }
      System.gc();
      for (int i = 0; i < kept.size(); i++) assertEquals(2 * i, kept.get(i).toIntArray()[0]);
      own.close();
      for (PjrtBuffer b : kept) assertTrue(b.isClosed());
    }
    PjrtPluginTest.assertStillWorks();
  }

  /** The plugin's own copy to the host (ToHostBuffer + event), as toHost did before the CPU fast path. */
  private static byte[] viaPlugin(PjrtBuffer b) {
    int size = (int) b.hostSizeInBytes();
    ByteBuffer dst = ByteBuffer.allocateDirect(size);
    long h = b.acquire();
    try {
      Events.await(client.api(), PjrtNative.bufferToHost(client.api(), h, dst, 0, size), "test copy", dst, b.resource());
    } finally {
      b.resource().release();
    }
    byte[] out = new byte[size];
    dst.get(out);
    return out;
  }

  static final String TRANSPOSE_COMPARE = """
      module @tc {
        func.func public @main(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xi1>, tensor<0x3xf32>, tensor<f32>) {
          %t = stablehlo.transpose %x, dims = [2, 0, 1] : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
          %zero = stablehlo.constant dense<0.0> : tensor<2x3x4xf32>
          %c = stablehlo.compare GT, %x, %zero : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xi1>
          %e = stablehlo.constant dense<> : tensor<0x3xf32>
          %init = stablehlo.constant dense<0.0> : tensor<f32>
          %s = stablehlo.reduce(%x init: %init) applies stablehlo.add across dimensions = [0, 1, 2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<f32>
          return %t, %c, %e, %s : tensor<4x2x3xf32>, tensor<2x3x4xi1>, tensor<0x3xf32>, tensor<f32>
        }
      }
      """;

  @Test
  void theCpuDirectCopyGivesThePluginsBytes() {
    float[] x = new float[24];
    for (int i = 0; i < x.length; i++) x[i] = (i % 5) - 2 + i * 0.25f;
    try (PjrtLoadedExecutable exe = client.compile(TRANSPOSE_COMPARE);
         PjrtBuffer in = client.buffer(x, 2, 3, 4)) {
      PjrtBuffer[] out = exe.execute(in);
      try {
        for (PjrtBuffer o : out) {
          if (client.platformName().equals("cpu")) {
            ByteBuffer probe = ByteBuffer.allocateDirect((int) o.hostSizeInBytes());
            long h = o.acquire();
            try {
              assertTrue(PjrtNative.bufferCopyFromCpu(client.api(), h, probe, 0, probe.capacity()),
                  "the XLA CPU plugin's " + o + " takes the direct copy");
            } finally {
              o.resource().release();
            }
          }
          assertArrayEquals(viaPlugin(o), o.toByteArray(), "bytes of " + o);
          ByteBuffer heap = ByteBuffer.allocate((int) o.hostSizeInBytes() + 3).position(3);
          o.toHost(heap);
          assertArrayEquals(viaPlugin(o), Arrays.copyOfRange(heap.array(), 3, heap.capacity()), "heap copy of " + o);
        }
        float[] t = out[0].toFloatArray();
        assertEquals(x[1 * 12 + 2 * 4 + 3], t[3 * 6 + 1 * 3 + 2]); // t[k][i][j] = x[i][j][k]
        assertArrayEquals(viaPlugin(in), in.toByteArray());
      } finally {
        for (PjrtBuffer o : out) o.close();
      }
    }
  }

  @Test
  void longWaitsSleepInNativeCodeAndGetTheRightBytes() {
    int n = 8 << 20; // a copy that outlasts the spin
    ByteBuffer host = ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
    for (int i = 0; i < n; i += 4) host.putInt(i, i * 7);
    byte[] expected = new byte[n];
    host.get(expected).clear();
    try (PjrtBuffer b = client.bufferFromHost(host, PjrtElementType.U8, n)) {
      for (int round = 0; round < 3; round++) {
        assertArrayEquals(expected, viaPlugin(b), "the plugin's copy, awaited, round " + round);
        ByteBuffer back = b.toHost();
        assertEquals(0, back.compareTo(host.clear()), "toHost, round " + round);
      }
    }
  }
}
