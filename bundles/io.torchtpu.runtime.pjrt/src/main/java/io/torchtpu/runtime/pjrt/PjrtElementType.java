package io.torchtpu.runtime.pjrt;

import java.util.HashMap;
import java.util.Map;

/** PJRT_Buffer_Type, in the C enum's order, with the StableHLO spelling and the storage size. */
public enum PjrtElementType {
  INVALID(0, null),
  PRED(8, "i1"),
  S8(8, "i8"),
  S16(16, "i16"),
  S32(32, "i32"),
  S64(64, "i64"),
  U8(8, "ui8"),
  U16(16, "ui16"),
  U32(32, "ui32"),
  U64(64, "ui64"),
  F16(16, "f16"),
  F32(32, "f32"),
  F64(64, "f64"),
  BF16(16, "bf16"),
  C64(64, "complex<f32>"),
  C128(128, "complex<f64>"),
  F8E5M2(8, "f8E5M2"),
  F8E4M3FN(8, "f8E4M3FN"),
  F8E4M3B11FNUZ(8, "f8E4M3B11FNUZ"),
  F8E5M2FNUZ(8, "f8E5M2FNUZ"),
  F8E4M3FNUZ(8, "f8E4M3FNUZ"),
  S4(4, "i4"),
  U4(4, "ui4"),
  TOKEN(0, null),
  S2(2, "i2"),
  U2(2, "ui2"),
  F8E4M3(8, "f8E4M3"),
  F8E3M4(8, "f8E3M4"),
  F8E8M0FNU(8, "f8E8M0FNU"),
  F4E2M1FN(4, "f4E2M1FN");

  private static final Map<String, PjrtElementType> BY_MLIR = new HashMap<>();

  static {
    for (PjrtElementType t : values()) {
      if (t.mlirName != null) BY_MLIR.put(t.mlirName, t);
    }
  }

  private final int bits;
  private final String mlirName;

  PjrtElementType(int bits, String mlirName) {
    this.bits = bits;
    this.mlirName = mlirName;
  }

  /** The numeric PJRT_Buffer_Type value. */
  public int code() {
    return ordinal();
  }

  public static PjrtElementType of(int code) {
    PjrtElementType[] all = values();
    if (code < 0 || code >= all.length) {
      throw new IllegalArgumentException("unknown PJRT_Buffer_Type " + code);
    }
    return all[code];
  }

  /** The StableHLO/MLIR element type spelling (f32, i1, ui8, bf16, complex&lt;f32&gt;), or null. */
  public String mlirName() {
    return mlirName;
  }

  /** The element type for a StableHLO spelling, or null if there is none. */
  public static PjrtElementType fromMlir(String name) {
    return BY_MLIR.get(name);
  }

  public int bitWidth() {
    return bits;
  }

  /** Bytes per element in a dense host buffer (sub-byte types take one byte each, unpacked). */
  public int hostByteSize() {
    return bits == 0 ? 0 : Math.max(1, bits / 8);
  }
}
