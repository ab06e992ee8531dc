package io.lb4j.internal.probe;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link HealthProbe#webSocket(String)}: a real RFC 6455 opening handshake (section 4.1), healthy only
 * on {@code 101} with {@code Upgrade: websocket}, {@code Connection: Upgrade} and the right
 * {@code Sec-WebSocket-Accept}; then a masked close frame (status 1000, section 5.5.1) and the socket
 * is closed. This catches a WebSocket server that accepts TCP but cannot upgrade, and does not fail
 * one that answers a plain GET with 426, as an HTTP probe would. With a {@link TlsClient} it is
 * {@link HealthProbe#secureWebSocket(String)}: the same handshake inside TLS ({@code wss://}).
 */
public final class WebSocketProbe implements HealthProbe {
    /** RFC 6455 section 1.3. */
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final String path;
    private final TlsClient tls;

    /** @param path absolute path, checked like the HTTP probe's */
    public WebSocketProbe(String path) {
        this(path, null);
    }

    /**
     * @param path absolute path, checked like the HTTP probe's
     * @param tls TLS settings for {@code wss}, or {@code null} for {@code ws}
     */
    public WebSocketProbe(String path, TlsClient tls) {
        this.path = HttpProbe.checkPath("path", path);
        this.tls = tls;
    }

    /** {@code base64(SHA-1(key + GUID))}: what a server must answer to {@code key}. */
    public static String accept(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    @Override
    public CompletionStage<ProbeResult> check(Target target) {
        byte[] nonce = new byte[16];
        ThreadLocalRandom random = ThreadLocalRandom.current(); // a nonce, not a secret (RFC 6455 10.3 is about masks)
        random.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        String expected = accept(key);
        byte[] request = HttpProbe.request("GET", path, target, tls, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n");
        int mask = random.nextInt();
        return HttpExchange.run(target, new Conversation() {
            @Override
            public byte[] request() {
                return request;
            }

            @Override
            public ProbeResult judge(HttpHead head) {
                if (head.status() != 101) {
                    return ProbeResult.failed("status " + head.status());
                }
                if (!hasToken(head.header("upgrade"), "websocket")) {
                    return ProbeResult.failed("101 without Upgrade: websocket");
                }
                if (!hasToken(head.header("connection"), "upgrade")) {
                    return ProbeResult.failed("101 without Connection: Upgrade");
                }
                String accept = head.header("sec-websocket-accept");
                if (accept == null) {
                    return ProbeResult.failed("101 without Sec-WebSocket-Accept");
                }
                return expected.equals(accept.trim()) ? ProbeResult.ok()
                        : ProbeResult.failed("wrong Sec-WebSocket-Accept");
            }

            @Override
            public byte[] farewell(ProbeResult verdict) {
                return verdict.healthy() ? closeFrame(mask) : null;
            }
        }, tls);
    }

    /** A masked close frame with status 1000 (RFC 6455 5.2, 5.5.1, 7.4.1). */
    static byte[] closeFrame(int mask) {
        byte[] m = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
        return new byte[] {(byte) 0x88, (byte) 0x82, m[0], m[1], m[2], m[3],
            (byte) (0x03 ^ m[0]), (byte) (0xE8 ^ m[1])};
    }

    private static boolean hasToken(String value, String token) {
        if (value == null) {
            return false;
        }
        for (String part : value.split(",")) {
            if (part.trim().toLowerCase(Locale.ROOT).equals(token)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return (tls == null ? "websocket:" : "wss:") + path;
    }
}
