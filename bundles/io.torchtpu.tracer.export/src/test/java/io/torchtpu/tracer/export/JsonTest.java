package io.torchtpu.tracer.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    private static Object parse(String text) {
        return Json.parse(text.getBytes(StandardCharsets.UTF_8), 8, "doc");
    }

    @Test
    void readsEveryKindOfValue() {
        JsonObject doc = (JsonObject) parse(" {\"a\": [1, -2.5e1, true, false, null, \"x\\u00e9\\n\\\"\"], \"b\": {}, \"c\": -0} ");
        List<Object> a = doc.list("a");
        assertEquals(1L, a.get(0));
        assertEquals(-25.0, a.get(1));
        assertEquals(true, a.get(2));
        assertEquals(false, a.get(3));
        assertSame(Json.NULL, a.get(4));
        assertEquals("x\u00e9\n\"", a.get(5));
        assertTrue(doc.object("b").members().isEmpty());
        assertEquals(0L, doc.integer("c"));
    }

    @Test
    void pythonsSpelledOutFloatsAreNumbers() {
        JsonObject doc = (JsonObject) parse("{\"i\": \"Infinity\", \"m\": \"-Infinity\", \"n\": \"NaN\", \"x\": 3}");
        assertEquals(Double.POSITIVE_INFINITY, doc.floating("i"));
        assertEquals(Double.NEGATIVE_INFINITY, doc.floating("m"));
        assertTrue(Double.isNaN(doc.floating("n")));
        assertEquals(3.0, doc.floating("x"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "[01]", "[1.]", "NaN", "[Infinity]", "{\"a\":1,\"a\":2}",
            "[\"tab\tinside\"]", "[\"\\x\"]", "[1] 2", "[99999999999999999999]", "{'a':1}", "[tru]"})
    void refusesMalformedText(String text) {
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> parse(text));
        assertTrue(e.getMessage().startsWith("doc: "), e.getMessage());
    }

    @Test
    void boundsTheNesting() {
        parse("[[[[[[[[1]]]]]]]]");
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> parse("[[[[[[[[[1]]]]]]]]]"));
        assertTrue(e.getMessage().contains("nesting deeper than 8"), e.getMessage());
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThrows(Json.JsonException.class, () -> parse(deep));
    }

    @Test
    void refusesMalformedUtf8() {
        byte[] bad = {'[', '"', (byte) 0xC3, '"', ']'};
        assertThrows(Json.JsonException.class, () -> Json.parse(bad, 8, "doc"));
    }

    @Test
    void membersOfTheWrongTypeAreReportedWithTheirPath() {
        JsonObject doc = (JsonObject) parse("{\"graph\": {\"nodes\": [{\"target\": 3}]}}");
        JsonObject node = doc.object("graph").objects("nodes").get(0);
        JsonObject.FormatException e = assertThrows(JsonObject.FormatException.class, () -> node.string("target"));
        assertEquals("graph.nodes[0].target should be a string, is 3", e.getMessage());
        e = assertThrows(JsonObject.FormatException.class, () -> node.string("missing"));
        assertEquals("graph.nodes[0].missing is missing", e.getMessage());
    }
}
