package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.lb4j.testing.Await;
import io.lb4j.testing.Cleanup;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.HttpTestServer;
import io.lb4j.testing.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS probes run by a real balancer: the checker's timeout names a stalled handshake, a stalling backend
 * never holds up its loop's other work (probes, relayed TLS connections), a plain-HTTP server behind an
 * {@code https} probe fails cleanly, and the PROXY header goes before the handshake.
 */
@ExtendWith(FaultOracle.class)
class TlsProbeBalancerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final TestCertificates certs = TestCertificates.get();
    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    private ProbeTls trustCa() {
        return ProbeTls.builder().trustCertificates(certs.caPem()).build();
    }

    private static BalancerStats.BackendStats backend(Balancer lb, int port) {
        return lb.stats().backends().stream().filter(b -> b.backend().port() == port).findFirst().orElseThrow();
    }

    @Test
    void shouldTimeOutAStalledHandshakeWhileTheSameLoopProbesAndRelaysTheOthers() throws Exception {
        Staller staller = cleanup.track(new Staller());
        HttpTestServer good = cleanup.track(HttpTestServer.startTls(certs.serverContext(TestCertificates.LOCALHOST),
                HttpTestServer.status(200)));
        Balancer lb = cleanup.track(Balancer.builder().listen("127.0.0.1:0").eventLoops(1)
                .backend("127.0.0.1:" + staller.port()).backend("127.0.0.1:" + good.port())
                .probe(HealthProbe.https("/health", trustCa())).probeInterval(Duration.ofMillis(300))
                // long enough for a good handshake on a loaded machine (the first in a JVM sets up TLS);
                // the staller never answers, whatever the timeout
                .probeTimeout(Duration.ofMillis(1500)).jmx(false).build());
        lb.start();
        assertEquals(HealthState.DOWN, backend(lb, staller.port()).state());
        assertEquals("probe: tls: handshake timed out", backend(lb, staller.port()).reason());
        assertEquals(HealthState.UP, backend(lb, good.port()).state());
        // while the staller keeps stalling a probe every interval, TLS passes through to the good backend
        int stallsBefore = staller.accepted.get();
        for (int i = 0; i < 5; i++) {
            assertEquals("HTTP/1.1 200 Test", httpsThrough(lb));
        }
        int goodProbesBefore = good.requests().size();
        Await.until("more stalled probes and more good probes on the one loop",
                () -> staller.accepted.get() >= stallsBefore + 3 && good.requests().size() >= goodProbesBefore + 3, WAIT);
        assertEquals(HealthState.UP, backend(lb, good.port()).state());
        assertEquals(HealthState.DOWN, backend(lb, staller.port()).state());
        BalancerStats.ProbeStats stalled = backend(lb, staller.port()).probes();
        assertTrue(stalled.failures().get("timeout") >= 3, "a stalled handshake counts as a timeout: " + stalled);
        assertEquals(stalled.failures().get("timeout"), stalled.failures().values().stream().mapToLong(Long::longValue).sum(),
                "and as nothing else: " + stalled);
    }

    /** An HTTPS request through the balancer, TLS end to end with the backend; returns the status line. */
    private String httpsThrough(Balancer lb) throws IOException {
        InetSocketAddress front = lb.addresses().get(0);
        try (Socket plain = new Socket(front.getAddress(), front.getPort());
             SSLSocket tls = (SSLSocket) certs.clientContext().getSocketFactory()
                     .createSocket(plain, "localhost", front.getPort(), true)) {
            tls.setSoTimeout((int) WAIT.toMillis());
            tls.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            return response.substring(0, response.indexOf("\r\n"));
        }
    }

    @Test
    void shouldFailAPlainHttpServerBehindAnHttpsProbeCleanly() throws Exception {
        HttpServer plain = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        plain.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        plain.start();
        cleanup.track(() -> plain.stop(0));
        int port = plain.getAddress().getPort();
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + port)
                .probe(HealthProbe.https("/health", trustCa())).probeInterval(Duration.ofMillis(200))
                .probeTimeout(Duration.ofMillis(500)).jmx(false));
        assertEquals(HealthState.DOWN, backend(lb, port).state());
        String reason = backend(lb, port).reason();
        // the JDK's HttpServer waits for a request line that a ClientHello never completes
        assertTrue(reason.equals("probe: tls: handshake timed out")
                || reason.equals("probe: tls: not a TLS server (its answer is not a TLS record)")
                || reason.equals("probe: tls: connection closed during the handshake"), reason);
    }

    @Test
    void shouldSendThePlainProxyHeaderBeforeTheTlsHandshake() throws Exception {
        ProxyThenTls backend = cleanup.track(new ProxyThenTls(certs));
        Balancer lb = cleanup.start(Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + backend.port())
                .proxyProtocol(ProxyProtocol.V2).probe(HealthProbe.secureWebSocket("/ws", trustCa()))
                .probeInterval(Duration.ofMillis(200)).jmx(false));
        Await.until("two probes seen", () -> backend.headers.size() >= 2, WAIT);
        for (byte[] header : backend.headers) {
            assertArrayEquals(ProxyProtocol.V2.localHeader(), header);
        }
        // a handshake may time out on a loaded machine; the backend is up once one passes
        Await.until("the backend up", () -> backend(lb, backend.port()).state() == HealthState.UP, WAIT);
    }

    private static void join(Thread thread) {
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Accepts, reads the ClientHello, never answers; counts connections. */
    private static final class Staller implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Thread thread = new Thread(this::serve, "tls-staller");

        Staller() throws IOException {
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (true) {
                try {
                    Socket s = server.accept();
                    sockets.add(s);
                    accepted.incrementAndGet();
                    s.getInputStream().read(new byte[4096]); // the ClientHello; then nothing, ever
                } catch (IOException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
            join(thread);
        }
    }

    /**
     * Reads a 16-byte PROXY v2 LOCAL header in clear, then serves a WebSocket handshake over TLS on the
     * same socket, as a backend behind {@code accept-proxy} with TLS does.
     */
    private static final class ProxyThenTls implements AutoCloseable {
        final List<byte[]> headers = new CopyOnWriteArrayList<>();
        private final TestCertificates certs;
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread thread = new Thread(this::serve, "proxy-then-tls");

        ProxyThenTls(TestCertificates certs) throws IOException {
            this.certs = certs;
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(5_000);
                    headers.add(s.getInputStream().readNBytes(16));
                    try (SSLSocket tls = (SSLSocket) certs.serverContext(TestCertificates.LOCALHOST).getSocketFactory()
                            .createSocket(s, "localhost", s.getPort(), false)) {
                        tls.setUseClientMode(false);
                        String head = HttpTestServer.readHead(tls.getInputStream());
                        String key = HttpTestServer.header(head, "Sec-WebSocket-Key");
                        tls.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                + "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                                + io.lb4j.testing.WebSocketTestServer.acceptFor(key) + "\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                        tls.getOutputStream().flush();
                        InputStream in = tls.getInputStream();
                        in.readNBytes(8); // the close frame
                    }
                } catch (IOException | RuntimeException e) {
                    // a probe that went away; the next one is accepted
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            join(thread);
        }
    }
}
