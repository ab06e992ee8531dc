package io.lb4j.internal.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class HttpHeadProperties {

    @Provide
    Arbitrary<Map<String, String>> headers() {
        Arbitrary<String> names = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz-").ofMinLength(1)
                .ofMaxLength(12).filter(n -> !n.startsWith("-"));
        Arbitrary<String> values = Arbitraries.strings().withCharRange('!', '~').ofMaxLength(20);
        return Arbitraries.maps(names, values).ofMaxSize(6);
    }

    private static byte[] render(int status, Map<String, String> headers) {
        StringBuilder text = new StringBuilder("HTTP/1.1 ").append(status).append(" Whatever Reason\r\n");
        headers.forEach((n, v) -> text.append(n.toUpperCase(Locale.ROOT)).append(":  ").append(v).append(" \r\n"));
        return text.append("\r\nbody").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Property
    void shouldParseWhatWasRendered(@ForAll @IntRange(min = 100, max = 599) int status,
                                    @ForAll("headers") Map<String, String> headers) {
        byte[] bytes = render(status, headers);
        HttpHead head = HttpHead.parse(bytes, bytes.length, false);
        assertNotNull(head);
        assertNull(head.error());
        assertEquals(status, head.status());
        assertEquals(headers, head.headers());
    }

    @Property(tries = 200)
    void shouldAskForMoreOnEveryProperPrefixAndCallItTruncatedAtEnd(
            @ForAll @IntRange(min = 100, max = 599) int status, @ForAll("headers") Map<String, String> headers) {
        byte[] bytes = render(status, headers);
        int headEnd = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n") + 4;
        for (int length = 0; length < headEnd; length++) {
            assertNull(HttpHead.parse(bytes, length, false), "prefix " + length);
            HttpHead ended = HttpHead.parse(bytes, length, true);
            assertEquals(length == 0 ? "closed without a response" : "truncated response", ended.error());
        }
    }

    @Property
    void shouldNeverThrowOnArbitraryBytes(@ForAll byte[] bytes, @ForAll boolean ended) {
        HttpHead head = HttpHead.parse(bytes, bytes.length, ended);
        if (head != null && head.error() == null) {
            assertEquals(true, head.status() >= 100 && head.status() <= 599);
        }
        if (ended) {
            assertNotNull(head);
        }
    }

    @Property
    void shouldRejectAStatusLineThatIsNotHttp(@ForAll("garbageLines") String line) {
        byte[] bytes = (line + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("malformed status line", HttpHead.parse(bytes, bytes.length, false).error());
    }

    @Provide
    Arbitrary<String> garbageLines() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(30),
                Arbitraries.integers().between(0, 99).map(s -> "HTTP/1.1 " + s + " Low"),
                Arbitraries.integers().between(600, 999).map(s -> "HTTP/1.1 " + s + " High"),
                Arbitraries.of("HTTP/2 200 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK", "HTTP/1.1 200OK", "http/1.1 200 OK"));
    }
}
