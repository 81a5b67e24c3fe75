package io.torchtpu.api.tpu;

import java.util.List;
import java.util.Map;

/**
 * One TPU generation, published as a service with {@value #GENERATION_PROPERTY} naming it. Two
 * services may claim the same generation: the one with the highest {@code service.ranking} wins,
 * and both stay visible to operators.
 */
public interface TpuGeneration {

    /** The service property naming the generation, such as {@code v5e}. */
    String GENERATION_PROPERTY = "torchtpu.tpu.generation";

    /** The short name in targets and backend ids: {@code v4}, {@code v5e}, {@code v5p}, {@code v6e}, {@code v7}. */
    String generation();

    /**
     * The generation's name in libtpu's topology names, such as {@code v5e} in {@code v5e:2x2}, or
     * {@code tpu7x} for v7.
     */
    String topologyName();

    /** The PJRT device kinds of its chips as libtpu reports them, such as {@code TPU v5 lite}. */
    List<String> deviceKinds();

    /** Published per-chip figures and where each comes from. */
    TpuFacts facts();

    /** A slice shape that every libtpu release knows, for when a target names none, such as {@code 2x2}. */
    String defaultSlice();

    /**
     * XLA options that suit the generation, passed as compile option overrides (name to String,
     * Boolean, Long or Double); empty for the compiler's own defaults.
     */
    Map<String, Object> compileDefaults();
}
