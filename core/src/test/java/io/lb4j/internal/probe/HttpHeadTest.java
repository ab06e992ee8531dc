package io.lb4j.internal.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The response-head parser's edges, one by one (the properties cover the bulk). */
@ExtendWith(FaultOracle.class)
class HttpHeadTest {

    private static HttpHead parse(String head, boolean ended) {
        byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        return HttpHead.parse(bytes, bytes.length, ended);
    }

    private static String error(String head) {
        HttpHead h = parse(head, true);
        return h == null ? "(needs more)" : h.error();
    }

    @Test
    void shouldParseTheShortestStatusLineAndTrimOptionalWhitespace() {
        HttpHead h = parse("HTTP/1.1 200\r\nX-A:\t one \t\r\nx-a: two\r\nEmpty:\r\n\r\n", false);
        assertNull(h.error());
        assertEquals(200, h.status());
        assertEquals(Map.of("x-a", "one, two", "empty", ""), h.headers());
        assertEquals("one, two", h.header("X-A"));
        assertNull(h.header("missing"));
    }

    @Test
    void shouldAcceptEveryStatusFrom100To599AndNothingOutside() {
        assertEquals(100, parse("HTTP/1.0 100 Continue\r\n\r\n", false).status());
        assertEquals(599, parse("HTTP/1.1 599 x\r\n\r\n", false).status());
        assertEquals("malformed status line", error("HTTP/1.1 099 x\r\n\r\n"));
        assertEquals("malformed status line", error("HTTP/1.1 600 x\r\n\r\n"));
        assertEquals("malformed status line", error("HTTP/1.1 20 \r\n\r\n"));
        assertEquals("malformed status line", error("HTTP/1.1 200x\r\n\r\n"));
        assertEquals("malformed status line", error("HTTP/1.x 200 OK\r\n\r\n"));
        assertEquals("malformed status line", error("HTTP/1.1 2:0 OK\r\n\r\n"));
        assertEquals("malformed status line", error("HTTP/1.1 200 O\u0001K\r\n\r\n"));
        assertEquals("malformed status line", error("HTTP/1.1 200 O\u007fK\r\n\r\n"));
        assertEquals(200, parse("HTTP/1.1 200 O\tK\r\n\r\n", false).status(), "a tab in the reason is allowed");
    }

    @Test
    void shouldWaitForMoreOnlyWhileTheBytesCanStillBecomeAStatusLine() {
        assertNull(parse("HTTP/1.", false), "a prefix: wait");
        assertNull(parse("HTTP/1.1 200 OK", false), "no CRLF yet: wait");
        assertEquals("malformed status line", error("HTTP/2"));
        assertEquals("malformed status line", parse("HTTQ", false).error(), "garbage is refused early");
        assertEquals("malformed status line", parse("HTTP/1.1 200 OK\n", false).error(), "a bare LF");
        assertEquals("malformed status line", parse("HTTP/1.1 2\u0000", false).error(), "a NUL");
        assertEquals("closed without a response", error(""));
        assertEquals("truncated response", error("HTTP/1.1 200 OK"));
        assertEquals("truncated response", error("HTTP/1.1 200 OK\r\nA: b\r\n"));
        assertNull(parse("HTTP/1.1 200 OK\r\nA: b\r\n", false), "headers not ended yet: wait");
    }

    @Test
    void shouldRefuseMalformedHeaderFields() {
        assertEquals("obsolete line folding in header", error("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n"));
        assertEquals("obsolete line folding in header", error("HTTP/1.1 200 OK\r\n\tc\r\n\r\n"));
        assertEquals("malformed header name", error("HTTP/1.1 200 OK\r\nA b: c\r\n\r\n"));
        assertEquals("malformed header field", error("HTTP/1.1 200 OK\r\n: c\r\n\r\n"));
        assertEquals("malformed header field", error("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"));
        assertEquals("control character in header value", error("HTTP/1.1 200 OK\r\nA: b\u0001c\r\n\r\n"));
        assertEquals("control character in header value", error("HTTP/1.1 200 OK\r\nA: b\u007f\r\n\r\n"));
        assertNull(parse("HTTP/1.1 200 OK\r\nA: b\tc\r\n\r\n", false).error(), "a tab inside a value is fine");
    }

    @Test
    void shouldKnowExactlyTheTokenCharacters() {
        String tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (int c = 0; c < 256; c++) {
            assertEquals(tchar.indexOf(c) >= 0, HttpHead.tokenChar((byte) c), "character " + c);
        }
        assertTrue(HttpHead.tokenChar((byte) '0') && HttpHead.tokenChar((byte) '9'));
        assertFalse(HttpHead.tokenChar((byte) ('0' - 1)) || HttpHead.tokenChar((byte) ('9' + 1)));
    }
}
