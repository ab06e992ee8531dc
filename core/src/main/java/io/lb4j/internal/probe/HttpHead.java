package io.lb4j.internal.probe;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The head of an HTTP/1.x response (status line and header fields, RFC 9112 sections 4 and 5),
 * parsed from the bytes a probe has read so far. It is pure and never throws on any input, so a peer
 * that sends garbage yields a failed probe with a reason instead of an exception on an event loop.
 */
public final class HttpHead {
    private static final int INCOMPLETE = -1;

    private final int status;
    private final Map<String, String> headers;
    private final String error;

    private HttpHead(int status, Map<String, String> headers, String error) {
        this.status = status;
        this.headers = headers;
        this.error = error;
    }

    /** The status code, 100-599; meaningful only when {@link #error()} is {@code null}. */
    public int status() {
        return status;
    }

    /** Header fields by lower-case name; repeated fields joined with {@code ", "} (RFC 9110 5.3). */
    public Map<String, String> headers() {
        return headers;
    }

    /** A header's value by case-insensitive name, or {@code null}. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** Why the response is malformed, or {@code null} when it parsed. */
    public String error() {
        return error;
    }

    /**
     * Parses {@code bytes[0, length)}.
     *
     * @param ended whether the peer closed the connection after these bytes (no more will come)
     * @return the parsed head; one with an {@link #error()} when malformed, or when {@code ended}
     *     and the head is incomplete; {@code null} when more bytes are needed
     */
    public static HttpHead parse(byte[] bytes, int length, boolean ended) {
        int lineEnd = lineEnd(bytes, 0, length);
        if (lineEnd == INCOMPLETE) {
            if (!startsLikeStatusLine(bytes, length)) {
                return failed("malformed status line");
            }
            return ended ? failed(length == 0 ? "closed without a response" : "truncated response") : null;
        }
        int status = statusOf(bytes, lineEnd);
        if (status < 0) {
            return failed("malformed status line");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        int at = lineEnd + 2;
        while (true) {
            int end = lineEnd(bytes, at, length);
            if (end == INCOMPLETE) {
                return ended ? failed("truncated response") : null;
            }
            if (end == at) {
                return new HttpHead(status, Collections.unmodifiableMap(headers), null);
            }
            String problem = field(bytes, at, end, headers);
            if (problem != null) {
                return failed(problem);
            }
            at = end + 2;
        }
    }

    private static HttpHead failed(String reason) {
        return new HttpHead(0, Map.of(), reason);
    }

    /** Index of the CR of the next CRLF at or after {@code from}, or {@link #INCOMPLETE}. */
    private static int lineEnd(byte[] bytes, int from, int length) {
        for (int i = from; i + 1 < length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        return INCOMPLETE;
    }

    /** Whether what arrived so far may still become {@code HTTP/1.x SP}: rejects garbage early. */
    private static boolean startsLikeStatusLine(byte[] bytes, int length) {
        byte[] prefix = {'H', 'T', 'T', 'P', '/', '1', '.'};
        for (int i = 0; i < Math.min(length, prefix.length); i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        for (int i = prefix.length; i < length; i++) {
            if (bytes[i] == '\n' || bytes[i] == 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code HTTP/1.D SP DDD [SP reason]} (RFC 9112 4), or -1. */
    private static int statusOf(byte[] b, int end) {
        if (end < 12 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/' || b[5] != '1'
                || b[6] != '.' || !digit(b[7]) || b[8] != ' ' || !digit(b[9]) || !digit(b[10]) || !digit(b[11])) {
            return -1;
        }
        if (end > 12 && b[12] != ' ') {
            return -1;
        }
        for (int i = 13; i < end; i++) {
            if ((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f) {
                return -1;
            }
        }
        int status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
        return status >= 100 && status <= 599 ? status : -1;
    }

    /** Parses {@code name ":" OWS value OWS} (RFC 9112 5); returns a problem or {@code null}. */
    private static String field(byte[] b, int from, int end, Map<String, String> into) {
        int colon = -1;
        for (int i = from; i < end; i++) {
            if (b[i] == ':') {
                colon = i;
                break;
            }
            if (!tokenChar(b[i])) {
                return i == from && (b[i] == ' ' || b[i] == '\t') ? "obsolete line folding in header"
                        : "malformed header name";
            }
        }
        if (colon <= from) {
            return "malformed header field";
        }
        int start = colon + 1;
        int stop = end;
        while (start < stop && (b[start] == ' ' || b[start] == '\t')) {
            start++;
        }
        while (stop > start && (b[stop - 1] == ' ' || b[stop - 1] == '\t')) {
            stop--;
        }
        for (int i = start; i < stop; i++) {
            if ((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f) {
                return "control character in header value";
            }
        }
        String name = new String(b, from, colon - from, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        String value = new String(b, start, stop - start, StandardCharsets.ISO_8859_1);
        into.merge(name, value, (a, c) -> a + ", " + c);
        return null;
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** RFC 9110 5.6.2 tchar. */
    static boolean tokenChar(byte c) {
        if (c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
            return true;
        }
        return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
}
