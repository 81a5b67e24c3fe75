package io.torchtpu.lowering.aten;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The family files of this bundle. Each declares its ops as {@code static final} {@link AtenOp} or
 * {@link AtenDecomposition} fields; a new family is a new file plus one entry here.
 */
final class Families {
    static final List<Class<?>> ALL = List.of(ElementwiseOps.class, ActivationOps.class, LinearAlgebraOps.class,
            ReductionOps.class, ShapeOps.class,
            IndexingOps.class, RearrangeOps.class, CreationOps.class, ConversionOps.class, StatisticOps.class, ScanOps.class,
            ConvolutionOps.class, PoolingOps.class, NormalizationOps.class, AttentionOps.class, InPlaceOps.class);

    private Families() {
    }

    static List<AtenOp> lowerings() {
        return fields(AtenOp.class);
    }

    static List<AtenDecomposition> decompositions() {
        return fields(AtenDecomposition.class);
    }

    /** The static fields of that type in every family, ordered by family and field name. */
    private static <T> List<T> fields(Class<T> type) {
        List<T> found = new ArrayList<>();
        for (Class<?> family : ALL) {
            List<Field> fields = new ArrayList<>(List.of(family.getDeclaredFields()));
            fields.sort(Comparator.comparing(Field::getName));
            for (Field field : fields) {
                if (Modifier.isStatic(field.getModifiers()) && type.isAssignableFrom(field.getType())) {
                    try {
                        field.setAccessible(true);
                        found.add(type.cast(field.get(null)));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(field + " is not readable", e);
                    }
                }
            }
        }
        return found;
    }
}
