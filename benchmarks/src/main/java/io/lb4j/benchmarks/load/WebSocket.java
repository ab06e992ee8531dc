package io.lb4j.benchmarks.load;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * The few pieces of RFC 6455 both ends of the benchmark share: the opening handshake's accept value
 * and header parsing. Framing lives with each end, where it is part of the hot loop.
 */
final class WebSocket {
    /** RFC 6455 section 1.3: the GUID appended to the client's key. */
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocket() {
    }

    /** {@code Sec-WebSocket-Accept} for a {@code Sec-WebSocket-Key} (RFC 6455 section 4.2.2). */
    static String accept(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] digest = sha1.digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    /**
     * Length of the HTTP head (through the blank line) at the start of {@code buffer}'s remaining
     * bytes, or {@code -1} while incomplete.
     */
    static int headerEnd(ByteBuffer buffer) {
        int start = buffer.position();
        for (int i = start; i + 3 < buffer.limit(); i++) {
            if (buffer.get(i) == '\r' && buffer.get(i + 1) == '\n' && buffer.get(i + 2) == '\r' && buffer.get(i + 3) == '\n') {
                return i + 4 - start;
            }
        }
        return -1;
    }

    /** The value of header {@code name} (lower case) in an HTTP head, or {@code null}. */
    static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }
}
