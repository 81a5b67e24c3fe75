package io.torchtpu.runtime.pjrt;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The compile options PJRT takes as a serialized xla.CompileOptionsProto; this class
 * writes the few fields TorchTPU sets. Immutable; the {@code with...} methods return copies.
 *
 * <p>Field numbers (xla/pjrt/proto/compile_options.proto): CompileOptionsProto
 * {executable_build_options = 3, compile_portable_executable = 4, env_option_overrides = 7};
 * ExecutableBuildOptionsProto {device_ordinal = 1, num_replicas = 4, num_partitions = 5,
 * use_spmd_partitioning = 6}; OptionOverrideProto {string_field = 1, bool_field = 2,
 * int_field = 3, double_field = 4}.
 */
public final class CompileOptions {
  private static final CompileOptions DEFAULTS = new CompileOptions(1, 1, -1, false, false, Map.of());

  private final int numReplicas;
  private final int numPartitions;
  private final long deviceOrdinal;
  private final boolean spmdPartitioning;
  private final boolean portable;
  private final Map<String, Object> overrides;

  private CompileOptions(int numReplicas, int numPartitions, long deviceOrdinal, boolean spmdPartitioning,
      boolean portable, Map<String, Object> overrides) {
    if (numReplicas < 1) throw new IllegalArgumentException("numReplicas must be >= 1, got " + numReplicas);
    if (numPartitions < 1) throw new IllegalArgumentException("numPartitions must be >= 1, got " + numPartitions);
    if (deviceOrdinal < -1) throw new IllegalArgumentException("deviceOrdinal must be >= -1, got " + deviceOrdinal);
    this.numReplicas = numReplicas;
    this.numPartitions = numPartitions;
    this.deviceOrdinal = deviceOrdinal;
    this.spmdPartitioning = spmdPartitioning;
    this.portable = portable;
    this.overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
  }

  /** One replica, one partition, no fixed device (device_ordinal = -1). */
  public static CompileOptions defaults() {
    return DEFAULTS;
  }

  public CompileOptions withNumReplicas(int n) {
    return new CompileOptions(n, numPartitions, deviceOrdinal, spmdPartitioning, portable, overrides);
  }

  public CompileOptions withNumPartitions(int n) {
    return new CompileOptions(numReplicas, n, deviceOrdinal, spmdPartitioning, portable, overrides);
  }

  /** The device ordinal to build for, or -1 for none. */
  public CompileOptions withDeviceOrdinal(long ordinal) {
    return new CompileOptions(numReplicas, numPartitions, ordinal, spmdPartitioning, portable, overrides);
  }

  public CompileOptions withSpmdPartitioning(boolean on) {
    return new CompileOptions(numReplicas, numPartitions, deviceOrdinal, on, portable, overrides);
  }

  /** A portable executable may be run on any single device chosen at execute time. */
  public CompileOptions withPortableExecutable(boolean on) {
    return new CompileOptions(numReplicas, numPartitions, deviceOrdinal, spmdPartitioning, on, overrides);
  }

  /** An XLA debug option override (env_option_overrides), e.g. {@code xla_cpu_enable_fast_math=false}. */
  public CompileOptions withOverride(String name, Object value) {
    Objects.requireNonNull(name, "name");
    if (!(value instanceof String || value instanceof Boolean || value instanceof Long || value instanceof Integer
        || value instanceof Double || value instanceof Float)) {
      throw new IllegalArgumentException("override " + name + " must be a String, Boolean, Integer, Long, Float or"
          + " Double, got " + (value == null ? "null" : value.getClass().getName()));
    }
    Map<String, Object> m = new LinkedHashMap<>(overrides);
    m.put(name, value);
    return new CompileOptions(numReplicas, numPartitions, deviceOrdinal, spmdPartitioning, portable, m);
  }

  public int numReplicas() {
    return numReplicas;
  }

  public int numPartitions() {
    return numPartitions;
  }

  public long deviceOrdinal() {
    return deviceOrdinal;
  }

  public boolean spmdPartitioning() {
    return spmdPartitioning;
  }

  public boolean portableExecutable() {
    return portable;
  }

  public Map<String, Object> overrides() {
    return overrides;
  }

  /** The serialized xla.CompileOptionsProto. */
  public byte[] toProto() {
    ProtoWriter build = new ProtoWriter()
        .int64(1, deviceOrdinal)
        .int64(4, numReplicas)
        .int64(5, numPartitions);
    if (spmdPartitioning) build.bool(6, true);
    ProtoWriter options = new ProtoWriter().message(3, build);
    if (portable) options.bool(4, true);
    for (Map.Entry<String, Object> e : overrides.entrySet()) {
      ProtoWriter value = new ProtoWriter();
      Object v = e.getValue();
      if (v instanceof String s) value.string(1, s);
      else if (v instanceof Boolean b) value.bool(2, b);
      else if (v instanceof Double || v instanceof Float) value.float64(4, ((Number) v).doubleValue());
      else value.int64(3, ((Number) v).longValue());
      options.message(7, new ProtoWriter().string(1, e.getKey()).message(2, value));
    }
    return options.toByteArray();
  }

  @Override
  public String toString() {
    return "CompileOptions[replicas=" + numReplicas + ", partitions=" + numPartitions + ", deviceOrdinal="
        + deviceOrdinal + (spmdPartitioning ? ", spmd" : "") + (portable ? ", portable" : "")
        + (overrides.isEmpty() ? "" : ", overrides=" + overrides) + "]";
  }
}
