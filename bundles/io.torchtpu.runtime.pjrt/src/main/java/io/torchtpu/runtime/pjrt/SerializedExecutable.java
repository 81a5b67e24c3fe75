package io.torchtpu.runtime.pjrt;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * TorchTPU's envelope around PJRT_Executable_Serialize bytes: a magic, the parameter
 * types (so the deserialized executable can check its arguments) and the replica count.
 * Bytes without the magic are taken as raw PJRT bytes.
 */
record SerializedExecutable(byte[] pjrtBytes, List<TensorSpec> parameters, CompileOptions options) {
  private static final byte[] MAGIC = {'T', 'T', 'P', 'J', 'R', 'T', 'X', '1'};

  static byte[] write(byte[] pjrt, List<TensorSpec> params, CompileOptions options) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(pjrt.length + 256);
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(options.numReplicas());
      out.writeInt(options.numPartitions());
      out.writeInt(params == null ? -1 : params.size());
      if (params != null) {
        for (TensorSpec p : params) {
          if (p == null) {
            out.writeInt(-1);
            continue;
          }
          out.writeInt(p.elementType().code());
          out.writeInt(p.rank());
          for (long d : p.dims()) out.writeLong(d);
        }
      }
      out.writeInt(pjrt.length);
      out.write(pjrt);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static SerializedExecutable read(byte[] data) {
    if (data.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(data, MAGIC.length), MAGIC)) {
      return new SerializedExecutable(data, null, CompileOptions.defaults());
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, MAGIC.length, data.length));
      CompileOptions options = CompileOptions.defaults().withNumReplicas(in.readInt()).withNumPartitions(in.readInt());
      int n = in.readInt();
      List<TensorSpec> params = null;
      if (n >= 0) {
        params = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int type = in.readInt();
          if (type < 0) {
            params.add(null);
            continue;
          }
          long[] dims = new long[in.readInt()];
          for (int k = 0; k < dims.length; k++) dims[k] = in.readLong();
          params.add(new TensorSpec(PjrtElementType.of(type), dims));
        }
        params = Collections.unmodifiableList(params);
      }
      byte[] pjrt = new byte[in.readInt()];
      in.readFully(pjrt);
      return new SerializedExecutable(pjrt, params, options);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("corrupt serialized TorchTPU executable (" + data.length + " bytes): " + e, e);
    }
  }
}
