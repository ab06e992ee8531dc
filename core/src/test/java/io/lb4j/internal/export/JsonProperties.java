package io.lb4j.internal.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The admin API's strict JSON reader: what the writer quotes reads back the same; malformed input is refused. */
class JsonProperties {

    @Property
    void shouldReadBackAnyStringTheWriterQuotes(@ForAll String text) {
        StringBuilder out = new StringBuilder();
        Json.string(out, text);
        assertEquals(text, Json.parse(out.toString()));
    }

    @Property
    void shouldReadBackAnObjectOfStringsAndIntegers(@ForAll String key, @ForAll String value, @ForAll long number) {
        StringBuilder out = new StringBuilder("{");
        Json.string(out, key);
        out.append(':');
        Json.string(out, value);
        out.append(",\"n\":").append(number).append('}');
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put(key, value);
        expected.put("n", BigDecimal.valueOf(number));
        if (key.equals("n")) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(out.toString()), "a key given twice");
        } else {
            assertEquals(expected, Json.parse(out.toString()));
        }
    }

    @Example
    void shouldReadEveryKindOfValue() {
        assertEquals(List.of(true, false, new BigDecimal("-1.5e3"), "a\u00e9\n", List.of(), Map.of()),
                Json.parse(" [true,false,-1.5e3,\"a\\u00e9\\n\",[],{}] "));
        assertEquals(null, Json.parse("null"));
    }

    @Example
    void shouldRefuseWhatRfc8259Refuses() {
        for (String bad : new String[] {"", "{", "{\"a\":1,}", "[1,]", "{'a':1}", "{\"a\" 1}", "01", "1.", ".5",
                "+1", "tru", "\"a", "\"\\x\"", "\"\u0001\"", "{\"a\":1} x", "NaN", "// c\n1", "[1 2]", "\"\\u12\""}) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(100) + "]".repeat(100)),
                "nesting is bounded");
    }
}
