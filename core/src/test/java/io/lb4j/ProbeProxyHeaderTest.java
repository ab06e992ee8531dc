package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Health probes against a backend that requires PROXY protocol, as HAProxy or nginx configured with
 * {@code accept-proxy} / {@code proxy_protocol on}: with {@code proxyProtocol} set the built-in probes
 * start with a {@code LOCAL} header (v1 {@code PROXY UNKNOWN}) and the backend stays up; without it
 * they send none.
 */
@ExtendWith(FaultOracle.class)
class ProbeProxyHeaderTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    @Test
    void shouldStartHttpProbesWithAV2LocalHeaderSoThatAProxyRequiringBackendStaysUp() throws Exception {
        try (ProxyRequiringBackend backend = new ProxyRequiringBackend();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + backend.port())
                     .proxyProtocol(ProxyProtocol.V2).probe(HealthProbe.http("/health"))
                     .probeInterval(Duration.ofMillis(200)).jmx(false).build()) {
            lb.start();
            Await.until("two probes seen", () -> backend.heads.size() >= 2, WAIT);
            byte[] local = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};
            for (byte[] head : backend.heads) {
                assertArrayEquals(local, Arrays.copyOf(head, 16), "a v2 LOCAL header, no addresses");
                assertTrue(new String(head, 16, head.length - 16, StandardCharsets.ISO_8859_1).startsWith("GET /health "),
                        "then the HTTP request");
            }
            assertEquals(HealthState.UP, lb.stats().backends().get(0).state());
        }
    }

    @Test
    void shouldSendAV1UnknownLineBeforeClosingATcpProbe() throws Exception {
        try (ProxyRequiringBackend backend = new ProxyRequiringBackend();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + backend.port())
                     .proxyProtocol(ProxyProtocol.V1).probe(HealthProbe.tcp())
                     .probeInterval(Duration.ofMillis(200)).jmx(false).build()) {
            lb.start();
            Await.until("two probes seen", () -> backend.heads.size() >= 2, WAIT);
            for (byte[] head : backend.heads) {
                assertEquals("PROXY UNKNOWN\r\n", new String(head, StandardCharsets.US_ASCII));
            }
            assertEquals(HealthState.UP, lb.stats().backends().get(0).state());
        }
    }

    @Test
    void shouldSendNoHeaderWhenTheBalancerSendsNone() throws Exception {
        try (ProxyRequiringBackend backend = new ProxyRequiringBackend();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + backend.port())
                     .probe(HealthProbe.http("/health")).probeInterval(Duration.ofMillis(200)).jmx(false).build()) {
            lb.start();
            Await.until("two probes seen", () -> backend.heads.size() >= 2, WAIT);
            for (byte[] head : backend.heads) {
                assertTrue(new String(head, StandardCharsets.ISO_8859_1).startsWith("GET /health "), "a bare request");
            }
            // the backend refuses requests without a header, as it is configured to
            assertEquals(HealthState.DOWN, lb.stats().backends().get(0).state());
        }
    }

    @Test
    void shouldGiveCustomProbesTheLocalHeaderOfEachVersion() {
        assertEquals("PROXY UNKNOWN\r\n", new String(ProxyProtocol.V1.localHeader(), StandardCharsets.US_ASCII));
        byte[] v2 = ProxyProtocol.V2.localHeader();
        assertArrayEquals(V2_SIGNATURE, Arrays.copyOf(v2, 12));
        assertArrayEquals(new byte[] {0x20, 0x00, 0x00, 0x00}, Arrays.copyOfRange(v2, 12, 16));
        assertEquals(16, v2.length);
    }

    /**
     * Records what each connection sends before it pauses or ends (at most 4 KiB); answers an HTTP
     * request with 200 only after a PROXY header, else 400, as a backend with PROXY protocol required.
     */
    private static final class ProxyRequiringBackend implements AutoCloseable {
        final List<byte[]> heads = new CopyOnWriteArrayList<>();
        private final ServerSocket server;
        private final Thread thread;

        ProxyRequiringBackend() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(this::serve, "proxy-requiring-backend");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5_000);
                    byte[] head = readHead(s.getInputStream());
                    heads.add(head);
                    String text = new String(head, StandardCharsets.ISO_8859_1);
                    boolean proxied = text.startsWith("PROXY ")
                            || (head.length >= 12 && Arrays.equals(V2_SIGNATURE, Arrays.copyOf(head, 12)));
                    if (text.contains("HTTP/1.1\r\n")) {
                        String status = proxied ? "200 OK" : "400 Bad Request";
                        s.getOutputStream().write(("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                    }
                } catch (IOException e) {
                    // a probe that went away; the next one is accepted
                }
            }
        }

        /** Up to the end of an HTTP head, or whatever came before the peer closed. */
        private static byte[] readHead(InputStream in) throws IOException {
            byte[] buffer = new byte[4096];
            int length = 0;
            while (length < buffer.length) {
                int n = in.read(buffer, length, buffer.length - length);
                if (n < 0) {
                    break;
                }
                length += n;
                if (new String(buffer, 0, length, StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                    break;
                }
            }
            return Arrays.copyOf(buffer, length);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
