package io.torchtpu.runtime.pjrt;

/** The PJRT_Error_Code values (the absl status codes), in their numeric order. */
public enum PjrtErrorCode {
  OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS,
  PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE,
  UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED;

  /** The enum constant for a numeric PJRT_Error_Code; UNKNOWN for values this version does not know. */
  public static PjrtErrorCode of(int code) {
    PjrtErrorCode[] all = values();
    return code >= 0 && code < all.length ? all[code] : UNKNOWN;
  }
}
