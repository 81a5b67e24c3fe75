package io.torchtpu.runtime.pjrt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The few protobuf wire-format writes CompileOptionsProto needs (varint, length-delimited, fixed64). */
final class ProtoWriter {
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LEN = 2;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private void tag(int field, int wireType) {
    varint(((long) field << 3) | wireType);
  }

  private void varint(long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** int64/int32/enum field; negative values take ten bytes, as protobuf specifies. */
  ProtoWriter int64(int field, long v) {
    tag(field, VARINT);
    varint(v);
    return this;
  }

  ProtoWriter bool(int field, boolean v) {
    tag(field, VARINT);
    varint(v ? 1 : 0);
    return this;
  }

  ProtoWriter float64(int field, double v) {
    tag(field, FIXED64);
    long bits = Double.doubleToLongBits(v);
    for (int i = 0; i < 8; i++) out.write((int) (bits >>> (8 * i)));
    return this;
  }

  ProtoWriter bytes(int field, byte[] v) {
    tag(field, LEN);
    varint(v.length);
    out.writeBytes(v);
    return this;
  }

  ProtoWriter string(int field, String v) {
    return bytes(field, v.getBytes(StandardCharsets.UTF_8));
  }

  ProtoWriter message(int field, ProtoWriter m) {
    return bytes(field, m.toByteArray());
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }
}
