package io.torchtpu.runtime.pjrt;

/** A PJRT_Error raised by the plugin: its code and the plugin's message. */
public class PjrtException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;

  /** Called from the JNI layer with the numeric PJRT_Error_Code. */
  public PjrtException(int code, String message) {
    super(PjrtErrorCode.of(code) + ": " + message);
    this.code = code;
  }

  public PjrtException(PjrtErrorCode code, String message) {
    this(code.ordinal(), message);
  }

  /** The numeric PJRT_Error_Code as the plugin reported it. */
  public int code() {
    return code;
  }

  public PjrtErrorCode errorCode() {
    return PjrtErrorCode.of(code);
  }

  /** The plugin's message without the code prefix. */
  public String pjrtMessage() {
    String m = getMessage();
    String prefix = errorCode() + ": ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
