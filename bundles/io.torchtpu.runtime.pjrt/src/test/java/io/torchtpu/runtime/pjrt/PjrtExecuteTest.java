package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PjrtExecuteTest {
  static PjrtClient client;

  @BeforeAll
  static void open() {
    client = PjrtTestSupport.plugin().createClient();
  }

  @AfterAll
  static void close() {
    if (client != null) client.close();
  }

  static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian());
    return v;
  }

  static void assertClose(float[] expected, float[] actual, float tol) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), "element " + i);
    }
  }

  @Test
  void addF32() {
    try (PjrtLoadedExecutable exe = client.compile(Programs.ADD_F32_4);
         PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4);
         PjrtBuffer b = client.buffer(new float[] {10, 20, 30, 40}, 4)) {
      assertEquals(1, exe.numOutputs());
      assertEquals(List.of(TensorSpec.of(PjrtElementType.F32, 4)), exe.outputs());
      assertEquals(List.of(TensorSpec.of(PjrtElementType.F32, 4), TensorSpec.of(PjrtElementType.F32, 4)),
          exe.parameters());
      assertEquals(PjrtElementType.F32, a.elementType());
      assertArrayEquals(new long[] {4}, a.dims());
      assertTrue(a.onDeviceSizeInBytes() >= 16);
      PjrtBuffer[] out = exe.execute(a, b);
      try (PjrtBuffer r = out[0]) {
        assertArrayEquals(new float[] {11, 22, 33, 44}, r.toFloatArray());
        // into a caller's direct buffer, at a position
        ByteBuffer dst = ByteBuffer.allocateDirect(24).order(ByteOrder.nativeOrder());
        dst.position(8);
        r.toHost(dst);
        assertEquals(24, dst.position());
        assertEquals(33f, dst.getFloat(16));
        // and into a heap buffer
        ByteBuffer heap = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        r.toHost(heap);
        assertEquals(44f, heap.getFloat(12));
      }
      // inputs are still usable and the executable can run again
      PjrtBuffer[] again = exe.execute(b, b);
      try (PjrtBuffer r = again[0]) {
        assertArrayEquals(new float[] {20, 40, 60, 80}, r.toFloatArray());
      }
    }
  }

  @Test
  void matmulDotGeneral() {
    Random r = new Random(1);
    float[] x = random(r, 6);
    float[] y = random(r, 12);
    float[] expected = new float[8];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 4; j++) {
        double s = 0;
        for (int k = 0; k < 3; k++) s += (double) x[i * 3 + k] * y[k * 4 + j];
        expected[i * 4 + j] = (float) s;
      }
    }
    try (PjrtLoadedExecutable exe = client.compile(Programs.MATMUL);
         PjrtBuffer a = client.buffer(x, 2, 3);
         PjrtBuffer b = client.buffer(y, 3, 4)) {
      assertEquals(List.of(TensorSpec.of(PjrtElementType.F32, 2, 4)), exe.outputs());
      try (PjrtBuffer out = exe.execute(a, b)[0]) {
        assertArrayEquals(new long[] {2, 4}, out.dims());
        assertClose(expected, out.toFloatArray(), 1e-5f);
      }
    }
  }

  @Test
  void reduceSum() {
    Random r = new Random(2);
    float[] x = random(r, 15);
    float[] expected = new float[3];
    for (int i = 0; i < 3; i++) {
      double s = 0;
      for (int j = 0; j < 5; j++) s += x[i * 5 + j];
      expected[i] = (float) s;
    }
    try (PjrtLoadedExecutable exe = client.compile(Programs.REDUCE_SUM);
         PjrtBuffer a = client.buffer(x, 3, 5);
         PjrtBuffer out = exe.execute(a)[0]) {
      assertClose(expected, out.toFloatArray(), 1e-5f);
    }
  }

  @Test
  void convolution2d() {
    int h = 5, w = 4, c = 2, kh = 2, kw = 3, o = 3, oh = h - kh + 1, ow = w - kw + 1;
    Random r = new Random(3);
    float[] x = random(r, h * w * c);
    float[] k = random(r, kh * kw * c * o);
    float[] expected = new float[oh * ow * o];
    for (int y = 0; y < oh; y++) {
      for (int xx = 0; xx < ow; xx++) {
        for (int f = 0; f < o; f++) {
          double s = 0;
          for (int dy = 0; dy < kh; dy++) {
            for (int dx = 0; dx < kw; dx++) {
              for (int ci = 0; ci < c; ci++) {
                s += (double) x[((y + dy) * w + (xx + dx)) * c + ci] * k[((dy * kw + dx) * c + ci) * o + f];
              }
            }
          }
          expected[(y * ow + xx) * o + f] = (float) s;
        }
      }
    }
    try (PjrtLoadedExecutable exe = client.compile(Programs.CONV2D);
         PjrtBuffer in = client.buffer(x, 1, h, w, c);
         PjrtBuffer kernel = client.buffer(k, kh, kw, c, o);
         PjrtBuffer out = exe.execute(in, kernel)[0]) {
      assertArrayEquals(new long[] {1, oh, ow, o}, out.dims());
      assertClose(expected, out.toFloatArray(), 1e-5f);
    }
  }

  @Test
  void multipleOutputsOfSeveralTypes() {
    double[] a = {1.5, -2, 3, 4};
    double[] b = {0.5, 2, -1, 10};
    int[] n = {5, -7, 100};
    try (PjrtLoadedExecutable exe = client.compile(Programs.MULTI_OUTPUT);
         PjrtBuffer ba = client.buffer(a, 2, 2);
         PjrtBuffer bb = client.buffer(b, 2, 2);
         PjrtBuffer bn = client.buffer(n, 3)) {
      assertEquals(4, exe.numOutputs());
      assertEquals(List.of(PjrtElementType.F64, PjrtElementType.F64, PjrtElementType.S32, PjrtElementType.S32),
          exe.outputElementTypes());
      assertEquals(TensorSpec.of(PjrtElementType.S32), exe.outputs().get(2));
      PjrtBuffer[] out = exe.execute(ba, bb, bn);
      try {
        assertArrayEquals(new double[] {2, 0, 2, 14}, out[0].toDoubleArray());
        assertArrayEquals(new double[] {0.75, -4, -3, 40}, out[1].toDoubleArray());
        assertArrayEquals(new int[] {98}, out[2].toIntArray());
        assertArrayEquals(new long[0], out[2].dims());
        assertArrayEquals(new int[] {-5, 7, -100}, out[3].toIntArray());
      } finally {
        for (PjrtBuffer o : out) o.close();
      }
    }
  }

  @Test
  void serializeDeserializeAndRun() {
    byte[] bytes;
    try (PjrtLoadedExecutable exe = client.compile(Programs.MATMUL)) {
      bytes = exe.serialize();
      try (PjrtExecutable view = exe.executable()) {
        assertEquals(1, view.numOutputs());
        assertTrue(view.serialize().length > 0);
      }
    }
    try (PjrtClient other = PjrtTestSupport.plugin().createClient();
         PjrtLoadedExecutable exe = other.deserialize(bytes);
         PjrtBuffer a = other.buffer(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
         PjrtBuffer b = other.buffer(new float[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, 3, 4);
         PjrtBuffer out = exe.execute(a, b)[0]) {
      assertEquals(exe.parameters().get(0), TensorSpec.of(PjrtElementType.F32, 2, 3), "parameter types survive");
      assertArrayEquals(new float[] {1, 2, 3, 0, 4, 5, 6, 0}, out.toFloatArray());
    }
  }

  @Test
  void replicatedOnSeveralDevices() {
    try (PjrtClient multi = PjrtTestSupport.plugin().createClient(Map.of("cpu_device_count", 2));
         PjrtLoadedExecutable exe = multi.compile(Programs.ADD_F32_4, CompileOptions.defaults().withNumReplicas(2))) {
      assertEquals(2, exe.addressableDevices().size());
      List<PjrtBuffer> inputs = new ArrayList<>();
      List<PjrtBuffer[]> args = new ArrayList<>();
      for (int d = 0; d < 2; d++) {
        PjrtDevice dev = exe.addressableDevices().get(d);
        ByteBuffer data = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        data.asFloatBuffer().put(new float[] {d, d, d, d});
        PjrtBuffer x = multi.bufferFromHost(data, PjrtElementType.F32, new long[] {4}, dev);
        PjrtBuffer y = multi.bufferFromHost(data.duplicate(), PjrtElementType.F32, new long[] {4}, dev);
        assertEquals(dev, x.device());
        inputs.add(x);
        inputs.add(y);
        args.add(new PjrtBuffer[] {x, y});
      }
      List<PjrtBuffer[]> out = exe.executeReplicated(args);
      for (int d = 0; d < 2; d++) {
        try (PjrtBuffer o = out.get(d)[0]) {
          assertEquals(exe.addressableDevices().get(d), o.device());
          assertArrayEquals(new float[] {2 * d, 2 * d, 2 * d, 2 * d}, o.toFloatArray());
        }
      }
      inputs.forEach(PjrtBuffer::close);
    }
  }

  @Test
  void compileOptionsProtoBytes() {
    // executable_build_options {device_ordinal: -1, num_replicas: 1, num_partitions: 1}
    byte[] expected = {0x1a, 0x0f, 0x08, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0x01, 0x20, 0x01, 0x28, 0x01};
    assertArrayEquals(expected, CompileOptions.defaults().toProto());
  }
}
