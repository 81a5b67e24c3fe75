package io.torchtpu.runtime.pjrt;

/** A PJRT plugin could not be loaded: file missing, not a PJRT plugin, or an incompatible API version. */
public class PjrtPluginLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PjrtPluginLoadException(String message) {
    super(message);
  }

  public PjrtPluginLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
