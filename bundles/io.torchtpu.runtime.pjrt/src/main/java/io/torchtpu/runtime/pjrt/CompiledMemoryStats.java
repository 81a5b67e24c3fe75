package io.torchtpu.runtime.pjrt;

/**
 * The memory an executable needs, as its compiler planned it (xla::CompiledMemoryStats through
 * PJRT_Executable_GetCompiledMemoryStats). Device figures are the default memory (HBM on a TPU
 * or GPU); {@code alias} is argument memory reused for outputs. All sizes in bytes, per device.
 *
 * @param peakBytes the plugin's peak device memory, or -1 when it does not report one
 */
public record CompiledMemoryStats(long codeBytes, long argumentBytes, long outputBytes, long aliasBytes,
    long tempBytes, long hostCodeBytes, long hostArgumentBytes, long hostOutputBytes, long hostAliasBytes,
    long hostTempBytes, long peakBytes) {

  static CompiledMemoryStats of(long[] v) {
    return new CompiledMemoryStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);
  }

  /**
   * Device memory one step needs: arguments, outputs not aliased to arguments, temporaries and
   * code; the plugin's peak instead when it reports a larger one.
   */
  public long totalDeviceBytes() {
    long sum = argumentBytes + outputBytes - aliasBytes + tempBytes + codeBytes;
    return Math.max(sum, peakBytes);
  }

  @Override
  public String toString() {
    return "device: arguments " + argumentBytes + " B, outputs " + outputBytes + " B (aliased " + aliasBytes
        + " B), temporaries " + tempBytes + " B, code " + codeBytes + " B"
        + (peakBytes >= 0 ? ", peak " + peakBytes + " B" : "") + "; host: arguments " + hostArgumentBytes
        + " B, outputs " + hostOutputBytes + " B, temporaries " + hostTempBytes + " B, code " + hostCodeBytes + " B";
  }
}
