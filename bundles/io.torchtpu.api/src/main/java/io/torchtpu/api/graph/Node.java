package io.torchtpu.api.graph;

import io.torchtpu.api.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * One ATen op application. {@link #op()} is the overload name from the schema ({@code aten::add.Tensor});
 * {@link #inputs()} are the tensor arguments in schema order (an absent optional tensor is left out at the
 * end); everything else the schema takes (Scalar, int, int[], bool, str, ScalarType, float) is an attribute
 * named as in the schema. An attribute that is absent means "None / the schema default".
 *
 * <p>Attribute values are normalized to {@code Long}, {@code Double}, {@code Boolean}, {@code String},
 * {@link Scalar}, {@link DType}, {@code List<Long>} or {@code List<Double>}, so that equal nodes print equally.
 */
public final class Node {
    private final String op;
    private final List<Value> inputs;
    private final List<Value> outputs;
    private final Map<String, Object> attributes;
    private final SourceLocation location;
    private final String schema;

    public Node(String op, List<Value> inputs, List<Value> outputs, Map<String, ?> attributes, SourceLocation location,
            String schema) {
        this.op = Objects.requireNonNull(op, "op");
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        Map<String, Object> normalized = new LinkedHashMap<>();
        attributes.forEach((name, value) -> normalized.put(name, normalize(op, name, value)));
        this.attributes = Collections.unmodifiableMap(normalized);
        this.location = location == null ? SourceLocation.UNKNOWN : location;
        this.schema = schema == null ? "" : schema;
    }

    public Node(String op, List<Value> inputs, List<Value> outputs, Map<String, ?> attributes, SourceLocation location) {
        this(op, inputs, outputs, attributes, location, null);
    }

    private static Object normalize(String op, String name, Object value) {
        Objects.requireNonNull(value, () -> op + ": attribute " + name + " is null; leave it out for None");
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof long[] longs) {
            List<Long> list = new ArrayList<>(longs.length);
            for (long l : longs) {
                list.add(l);
            }
            return List.copyOf(list);
        }
        if (value instanceof int[] ints) {
            List<Long> list = new ArrayList<>(ints.length);
            for (int i : ints) {
                list.add((long) i);
            }
            return List.copyOf(list);
        }
        if (value instanceof double[] doubles) {
            List<Double> list = new ArrayList<>(doubles.length);
            for (double d : doubles) {
                list.add(d);
            }
            return List.copyOf(list);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object element : list) {
                Object n = normalize(op, name, element);
                if (!(n instanceof Long) && !(n instanceof Double)) {
                    throw new IllegalArgumentException(op + ": attribute " + name + " is a list of " + n.getClass().getSimpleName()
                            + "; lists hold ints or floats");
                }
                copy.add(n);
            }
            return List.copyOf(copy);
        }
        if (value instanceof Long || value instanceof Double || value instanceof Boolean || value instanceof String
                || value instanceof Scalar || value instanceof DType) {
            return value;
        }
        throw new IllegalArgumentException(op + ": attribute " + name + " has unsupported type " + value.getClass().getName());
    }

    public String op() {
        return op;
    }

    public List<Value> inputs() {
        return inputs;
    }

    public Value input(int index) {
        return inputs.get(index);
    }

    public List<Value> outputs() {
        return outputs;
    }

    public Value output() {
        if (outputs.size() != 1) {
            throw new IllegalStateException(op + " has " + outputs.size() + " outputs, not one");
        }
        return outputs.get(0);
    }

    /** The attributes in the order the tracer gave them. */
    public Map<String, Object> attributes() {
        return attributes;
    }

    public SourceLocation location() {
        return location;
    }

    /** The full ATen schema when the tracer knew it ({@code aten::add.Tensor(Tensor self, ...) -> Tensor}), else empty. */
    public String schema() {
        return schema;
    }

    public boolean has(String name) {
        return attributes.containsKey(name);
    }

    public long intAttr(String name) {
        return ((Number) required(name, Long.class)).longValue();
    }

    public long intAttr(String name, long defaultValue) {
        return has(name) ? intAttr(name) : defaultValue;
    }

    public double floatAttr(String name, double defaultValue) {
        if (!has(name)) {
            return defaultValue;
        }
        Object value = attributes.get(name);
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        if (value instanceof Scalar scalar) {
            return scalar.asDouble();
        }
        throw wrongType(name, "float", value);
    }

    public boolean boolAttr(String name, boolean defaultValue) {
        return has(name) ? (Boolean) required(name, Boolean.class) : defaultValue;
    }

    public String stringAttr(String name, String defaultValue) {
        return has(name) ? (String) required(name, String.class) : defaultValue;
    }

    /** An {@code int[]} attribute; a single int counts as a list of one (ATen accepts {@code dim=1} for {@code int[1] dim}). */
    @SuppressWarnings("unchecked")
    public List<Long> intsAttr(String name) {
        Object value = attributes.get(name);
        if (value == null) {
            throw new IllegalArgumentException(op + " needs attribute " + name + " at " + location);
        }
        if (value instanceof Long single) {
            return List.of(single);
        }
        if (value instanceof List<?> list && list.stream().allMatch(Long.class::isInstance)) {
            return (List<Long>) list;
        }
        throw wrongType(name, "int[]", value);
    }

    public Optional<List<Long>> optionalInts(String name) {
        return has(name) ? Optional.of(intsAttr(name)) : Optional.empty();
    }

    /** A {@code Scalar} attribute; plain numbers and booleans are accepted as Python would. */
    public Scalar scalarAttr(String name) {
        Object value = attributes.get(name);
        if (value == null) {
            throw new IllegalArgumentException(op + " needs attribute " + name + " at " + location);
        }
        return toScalar(name, value);
    }

    public Scalar scalarAttr(String name, Scalar defaultValue) {
        return has(name) ? scalarAttr(name) : defaultValue;
    }

    private Scalar toScalar(String name, Object value) {
        if (value instanceof Scalar scalar) {
            return scalar;
        }
        if (value instanceof Long l) {
            return Scalar.of(l);
        }
        if (value instanceof Double d) {
            return Scalar.of(d);
        }
        if (value instanceof Boolean b) {
            return Scalar.of(b);
        }
        throw wrongType(name, "Scalar", value);
    }

    public Optional<DType> dtypeAttr(String name) {
        return has(name) ? Optional.of((DType) required(name, DType.class)) : Optional.empty();
    }

    private Object required(String name, Class<?> type) {
        Object value = attributes.get(name);
        if (value == null) {
            throw new IllegalArgumentException(op + " needs attribute " + name + " at " + location);
        }
        if (!type.isInstance(value)) {
            throw wrongType(name, type.getSimpleName(), value);
        }
        return value;
    }

    private IllegalArgumentException wrongType(String name, String expected, Object value) {
        return new IllegalArgumentException(op + ": attribute " + name + " should be " + expected + ", is " + value
                + " at " + location);
    }

    /** The node as the tracer saw it: {@code aten::add.Tensor(%x: tensor<2xf32>, %y: tensor<2xf32>, alpha=1)}. */
    public String signature() {
        StringJoiner arguments = new StringJoiner(", ", op + "(", ")");
        inputs.forEach(input -> arguments.add(input.toString()));
        attributes.forEach((name, value) -> arguments.add(name + "=" + value));
        return arguments.toString();
    }

    @Override
    public String toString() {
        StringJoiner results = new StringJoiner(", ");
        outputs.forEach(output -> results.add(output.toString()));
        return results + " = " + signature();
    }
}
