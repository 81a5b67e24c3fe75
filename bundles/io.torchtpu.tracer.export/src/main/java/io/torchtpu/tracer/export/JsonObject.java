package io.torchtpu.tracer.export;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A JSON object that knows where it sits in its document ({@code graph_module.graph.nodes[3]}), so that a
 * member of the wrong type or a missing one is reported with its path. Accessors of children carry the path on.
 */
final class JsonObject {
    private final Map<String, Object> members;
    private final String path;

    JsonObject(Map<String, Object> members) {
        this(members, "");
    }

    private JsonObject(Map<String, Object> members, String path) {
        this.members = Collections.unmodifiableMap(members);
        this.path = path;
    }

    /** Where this object sits, or empty for the document itself. */
    String path() {
        return path;
    }

    Map<String, Object> members() {
        return members;
    }

    boolean has(String key) {
        return members.containsKey(key);
    }

    /** Present and not JSON null. */
    boolean hasValue(String key) {
        Object value = members.get(key);
        return value != null && value != Json.NULL;
    }

    /** A schema union is an object with exactly one member: its kind, such as {@code as_tensor}. */
    String unionKind() {
        if (members.size() != 1) {
            throw new FormatException(describe() + " should hold exactly one of its alternatives, holds " + members.keySet());
        }
        return members.keySet().iterator().next();
    }

    Object get(String key) {
        if (!members.containsKey(key)) {
            throw new FormatException(child(key) + " is missing");
        }
        return members.get(key);
    }

    JsonObject object(String key) {
        Object value = get(key);
        if (value instanceof JsonObject object) {
            return object.at(child(key));
        }
        throw wrongType(key, "an object", value);
    }

    List<Object> list(String key) {
        Object value = get(key);
        if (value instanceof List<?> list) {
            return Collections.unmodifiableList(list);
        }
        throw wrongType(key, "an array", value);
    }

    /** An array of objects, each knowing its path ({@code nodes[3]}). */
    List<JsonObject> objects(String key) {
        List<Object> list = list(key);
        List<JsonObject> result = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String where = child(key) + "[" + i + "]";
            if (!(list.get(i) instanceof JsonObject object)) {
                throw new FormatException(where + " should be an object, is " + describe(list.get(i)));
            }
            result.add(object.at(where));
        }
        return result;
    }

    String string(String key) {
        Object value = get(key);
        if (value instanceof String s) {
            return s;
        }
        throw wrongType(key, "a string", value);
    }

    long integer(String key) {
        Object value = get(key);
        if (value instanceof Long l) {
            return l;
        }
        throw wrongType(key, "an integer", value);
    }

    boolean bool(String key) {
        Object value = get(key);
        if (value instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, "true or false", value);
    }

    /** A float as PyTorch's serializer writes it: a number, or the strings Infinity, -Infinity and NaN. */
    double floating(String key) {
        Object value = get(key);
        Double d = asDouble(value);
        if (d == null) {
            throw wrongType(key, "a number", value);
        }
        return d;
    }

    static Double asDouble(Object value) {
        if (value instanceof Double d) {
            return d;
        }
        if (value instanceof Long l) {
            return l.doubleValue();
        }
        if (value instanceof String s) {
            return switch (s) {
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> null;
            };
        }
        return null;
    }

    String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    JsonObject at(String newPath) {
        return new JsonObject(members, newPath);
    }

    private String describe() {
        return path.isEmpty() ? "the document" : path;
    }

    private FormatException wrongType(String key, String expected, Object value) {
        return new FormatException(child(key) + " should be " + expected + ", is " + describe(value));
    }

    static String describe(Object value) {
        if (value instanceof JsonObject) {
            return "an object";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        if (value instanceof String s) {
            return "the string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        return String.valueOf(value);
    }

    /** The document does not have the structure the schema prescribes; the message names the path. */
    static final class FormatException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }
}
