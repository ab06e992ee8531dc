package io.lb4j.internal.probe;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.IntPredicate;

/**
 * {@link HealthProbe#http(String)} and {@link HealthProbe#https(String)}: {@code GET PATH HTTP/1.1}
 * with {@code Host} and {@code Connection: close}, over TLS for HTTPS; healthy when the status is
 * accepted (2xx by default). Only the response head is read (at most 8 KiB), so a large or endless
 * body costs nothing.
 */
public final class HttpProbe implements HealthProbe {
    private final String path;
    private final IntPredicate healthyStatus;
    private final TlsClient tls;

    /**
     * @param path absolute path and optional query, checked by {@link #checkPath}
     * @param healthyStatus which status codes count as healthy
     */
    public HttpProbe(String path, IntPredicate healthyStatus) {
        this(path, healthyStatus, null);
    }

    /**
     * @param path absolute path and optional query, checked by {@link #checkPath}
     * @param healthyStatus which status codes count as healthy
     * @param tls TLS settings for HTTPS, or {@code null} for plain HTTP
     */
    public HttpProbe(String path, IntPredicate healthyStatus, TlsClient tls) {
        this.path = checkPath("path", path);
        this.healthyStatus = Objects.requireNonNull(healthyStatus, "healthyStatus");
        this.tls = tls;
    }

    /**
     * Rejects anything but an origin-form request target (RFC 9112 3.2.1): starts with {@code /},
     * visible ASCII only, so nothing can be smuggled into the request.
     */
    public static String checkPath(String setting, String path) {
        Objects.requireNonNull(path, setting);
        boolean ok = path.startsWith("/") && path.length() <= 2048;
        for (int i = 0; ok && i < path.length(); i++) {
            char c = path.charAt(i);
            ok = c > 0x20 && c < 0x7f;
        }
        if (!ok) {
            throw new IllegalArgumentException(setting + ": '" + path
                    + "' (expected: an absolute path such as /health, visible ASCII, no spaces)");
        }
        return path;
    }

    /**
     * The request head for {@code target}: {@code Host} is the backend's host (or the TLS server name
     * when one is set, so that a virtual host picked by SNI is asked for itself) and the probed port.
     */
    static byte[] request(String method, String path, Target target, TlsClient tls, String extraHeaders) {
        String host = tls != null && tls.serverName() != null ? tls.serverName() : target.backend().host();
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        String text = method + " " + path + " HTTP/1.1\r\n"
                + "Host: " + host + ":" + target.address().getPort() + "\r\n"
                + "User-Agent: lb4j-probe\r\n"
                + extraHeaders
                + "\r\n";
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public CompletionStage<ProbeResult> check(Target target) {
        byte[] request = request("GET", path, target, tls, "Accept: */*\r\nConnection: close\r\n");
        return HttpExchange.run(target, new Conversation() {
            @Override
            public byte[] request() {
                return request;
            }

            @Override
            public ProbeResult judge(HttpHead head) {
                return healthyStatus.test(head.status()) ? ProbeResult.ok()
                        : ProbeResult.failed("status " + head.status());
            }
        }, tls);
    }

    @Override
    public String toString() {
        return (tls == null ? "http:" : "https:") + path;
    }
}
