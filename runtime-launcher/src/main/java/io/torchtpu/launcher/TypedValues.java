package io.torchtpu.launcher;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.lang.reflect.Array;
import java.util.List;

/** Turns JSON values into the property types Configuration Admin accepts, by the type a key names. */
final class TypedValues {
    private static final List<String> SCALARS = List.of("String", "Integer", "Long", "Float", "Double", "Boolean");

    private TypedValues() {
    }

    /**
     * @param type null for the JSON value's natural type, or one of String, Integer, Long, Float, Double,
     *     Boolean, each optionally followed by {@code []}
     */
    static Object convert(JsonValue value, String type) {
        if (type == null) {
            return natural(value);
        }
        if (type.endsWith("[]")) {
            String element = type.substring(0, type.length() - 2);
            checkScalar(element, type);
            if (value.getValueType() != JsonValue.ValueType.ARRAY) {
                throw new IllegalArgumentException("the type " + type + " needs a JSON array");
            }
            JsonArray array = value.asJsonArray();
            Object result = Array.newInstance(javaType(element), array.size());
            for (int i = 0; i < array.size(); i++) {
                Array.set(result, i, scalar(array.get(i), element));
            }
            return result;
        }
        checkScalar(type, type);
        return scalar(value, type);
    }

    private static void checkScalar(String element, String type) {
        if (!SCALARS.contains(element)) {
            throw new IllegalArgumentException("unknown type '" + type + "': use one of " + String.join(", ", SCALARS)
                    + ", each optionally with []");
        }
    }

    private static Class<?> javaType(String type) {
        return switch (type) {
            case "Integer" -> Integer.class;
            case "Long" -> Long.class;
            case "Float" -> Float.class;
            case "Double" -> Double.class;
            case "Boolean" -> Boolean.class;
            default -> String.class;
        };
    }

    private static Object scalar(JsonValue value, String type) {
        try {
            return switch (type) {
                case "Integer" -> number(value).intValueExact();
                case "Long" -> number(value).longValueExact();
                case "Float" -> (float) number(value).doubleValue();
                case "Double" -> number(value).doubleValue();
                case "Boolean" -> bool(value);
                default -> value instanceof JsonString s ? s.getString() : value.toString();
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(value + " is not a whole number that fits " + type);
        }
    }

    private static Object natural(JsonValue value) {
        return switch (value.getValueType()) {
            case STRING -> ((JsonString) value).getString();
            case NUMBER -> ((JsonNumber) value).isIntegral() ? (Object) ((JsonNumber) value).longValueExact()
                    : (Object) ((JsonNumber) value).doubleValue();
            case TRUE -> Boolean.TRUE;
            case FALSE -> Boolean.FALSE;
            case ARRAY -> value.asJsonArray().stream().map(v -> natural(v).toString()).toArray(String[]::new);
            default -> throw new IllegalArgumentException(value + " is not a value a configuration can hold");
        };
    }

    private static JsonNumber number(JsonValue value) {
        if (value instanceof JsonNumber n) {
            return n;
        }
        throw new IllegalArgumentException(value + " is not a number");
    }

    private static boolean bool(JsonValue value) {
        if (value == JsonValue.TRUE || value == JsonValue.FALSE) {
            return value == JsonValue.TRUE;
        }
        throw new IllegalArgumentException(value + " is not true or false");
    }
}
