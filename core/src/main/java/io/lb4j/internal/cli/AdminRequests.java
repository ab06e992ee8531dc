package io.lb4j.internal.cli;

import io.lb4j.internal.export.HttpServer;
import io.lb4j.internal.export.Json;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the admin API reads from a request besides its route: percent-encoded path segments, the
 * query's parameters and the JSON body's fields. Anything malformed or unexpected is a
 * {@link Refusal}, so a bad request changes nothing.
 */
final class AdminRequests {
    private AdminRequests() {
    }

    /** Thrown to answer with a status and an error text; the request changes nothing. */
    static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final transient List<String> headers;

        Refusal(int status, String message) {
            this(status, message, List.of());
        }

        Refusal(int status, String message, List<String> headers) {
            super(message, null, false, false);
            this.status = status;
            this.headers = headers;
        }
    }

    /** Percent-decoding of one path segment or query value (UTF-8); a bad escape is a 400. */
    static String decode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '%') {
                bytes.write(c);
                continue;
            }
            int hi = i + 2 < text.length() ? Character.digit(text.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(text.charAt(i + 2), 16) : -1;
            if (lo < 0) {
                throw new Refusal(400, "path: bad percent-encoding in '" + text + "'");
            }
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new Refusal(400, "path: '" + text + "' is not UTF-8");
        }
    }

    /** The body as a JSON object with only {@code fields}; an empty body is an empty object. */
    static Map<String, Object> object(HttpServer.Request request, String... fields) {
        String text = new String(request.body(), StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return Map.of();
        }
        Object value;
        try {
            value = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, "body: " + e.getMessage());
        }
        if (!(value instanceof Map)) {
            throw new Refusal(400, "body: " + describe(value) + " (expected: a JSON object)");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        for (String key : map.keySet()) {
            if (!List.of(fields).contains(key)) {
                throw new Refusal(400, key + ": unknown field (expected: "
                        + (fields.length == 0 ? "none" : String.join(", ", fields)) + ")");
            }
        }
        return map;
    }

    static int integer(Map<String, Object> body, String field, int min, int max) {
        Object value = body.get(field);
        if (value instanceof BigDecimal) {
            BigDecimal d = (BigDecimal) value;
            if (d.stripTrailingZeros().scale() <= 0) {
                try {
                    int n = d.intValueExact();
                    if (n >= min && n <= max) {
                        return n;
                    }
                } catch (ArithmeticException e) {
                    // out of int range: refused below
                }
            }
        }
        throw new Refusal(400, field + ": " + (value == null ? "missing" : describe(value))
                + " (expected: an integer " + min + "-" + max + ")");
    }

    /** A JSON value as an error message shows it: a string quoted, an object or array by its kind. */
    static String describe(Object value) {
        if (value instanceof String) {
            StringBuilder out = new StringBuilder();
            Json.string(out, (String) value);
            return out.toString();
        }
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "an array";
        }
        return String.valueOf(value);
    }

    /** The query's parameters, only {@code names}, each at most once. */
    static Map<String, String> query(HttpServer.Request request, String... names) {
        Map<String, String> params = new LinkedHashMap<>();
        String query = request.query();
        if (query.isEmpty()) {
            return params;
        }
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = decode(eq < 0 ? "" : pair.substring(eq + 1));
            if (!List.of(names).contains(key)) {
                throw new Refusal(400, "query parameter '" + key + "': unknown (expected: " + String.join(", ", names) + ")");
            }
            if (params.put(key, value) != null) {
                throw new Refusal(400, "query parameter '" + key + "': given twice");
            }
        }
        return params;
    }
}
