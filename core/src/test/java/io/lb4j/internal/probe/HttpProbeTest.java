package io.lb4j.internal.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.HttpTestServer;
import io.lb4j.testing.WebSocketTestServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@ExtendWith(FaultOracle.class)
class HttpProbeTest {
    @RegisterExtension
    static final ProbeRunner runner = new ProbeRunner();

    @Test
    void shouldPassOn200AndSendGetWithHostAndConnectionClose() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.status(200))) {
            ProbeResult result = runner.check(HealthProbe.http("/health?deep=1"), server.address());
            assertEquals(ProbeResult.ok(), result);
            List<String> requests = server.requests();
            assertEquals(1, requests.size());
            String head = requests.get(0);
            assertTrue(head.startsWith("GET /health?deep=1 HTTP/1.1\r\n"), head);
            assertEquals("127.0.0.1:" + server.port(), HttpTestServer.header(head, "Host"));
            assertEquals("close", HttpTestServer.header(head, "Connection"));
        }
    }

    @Test
    void shouldFailOn500WithTheStatusAsReason() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.status(500))) {
            assertEquals(ProbeResult.failed("status 500"), runner.check(HealthProbe.http("/"), server.address()));
        }
    }

    @Test
    void shouldUseTheGivenStatusSet() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.status(429))) {
            assertTrue(runner.check(HealthProbe.http("/", s -> s == 429), server.address()).healthy());
            assertEquals(ProbeResult.failed("status 429"), runner.check(HealthProbe.http("/"), server.address()));
        }
    }

    @Test
    void shouldFailOnGarbageWithAReason() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.raw("SSH-2.0-OpenSSH_9.6\r\n"))) {
            assertEquals(ProbeResult.failed("malformed status line"),
                    runner.check(HealthProbe.http("/"), server.address()));
        }
    }

    @Test
    void shouldFailOnAResponseCutOffInItsHeaders() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.raw("HTTP/1.1 200 OK\r\nContent-Le"))) {
            assertEquals(ProbeResult.failed("truncated response"), runner.check(HealthProbe.http("/"), server.address()));
        }
    }

    @Test
    void shouldFailWhenTheServerClosesWithoutAnswering() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.raw(""))) {
            assertEquals(ProbeResult.failed("closed without a response"),
                    runner.check(HealthProbe.http("/"), server.address()));
        }
    }

    @Test
    void shouldFailOnAHeadLargerThanTheReadLimit() throws Exception {
        String big = "HTTP/1.1 200 OK\r\nX-Filler: " + "a".repeat(Conversation.MAX_HEAD_BYTES) + "\r\n\r\n";
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.raw(big))) {
            assertEquals(ProbeResult.failed("response head over 8192 bytes"),
                    runner.check(HealthProbe.http("/"), server.address()));
        }
    }

    @Test
    void shouldFailWithConnectRefusedOnAClosedPort() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = (InetSocketAddress) s.getLocalSocketAddress();
        }
        assertEquals(ProbeResult.failed("connect refused"), runner.check(HealthProbe.http("/"), closed));
        assertEquals(ProbeResult.failed("connect refused"), runner.check(HealthProbe.tcp(), closed));
        assertEquals(ProbeResult.failed("connect refused"), runner.check(HealthProbe.webSocket("/ws"), closed));
    }

    @Test
    void shouldReleaseEveryProbeSocket() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.status(200))) {
            for (int i = 0; i < 5; i++) {
                assertTrue(runner.check(HealthProbe.http("/"), server.address()).healthy());
            }
            assertEquals(0, runner.liveKeys());
        }
    }

    @Test
    void shouldFailAPlainGetAgainstAWebSocketServerThatAnswers426() throws Exception {
        try (WebSocketTestServer server = WebSocketTestServer.start()) {
            assertEquals(ProbeResult.failed("status 426"), runner.check(HealthProbe.http("/ws"), server.address()));
            assertTrue(runner.check(HealthProbe.webSocket("/ws"), server.address()).healthy());
            assertEquals(1, server.plainGets());
            assertEquals(1, server.upgrades());
        }
    }

    @Test
    void shouldRejectPathsThatAreNotAbsoluteVisibleAscii() {
        for (String bad : new String[] {"", "health", "/a b", "/a\r\nX: y", "/\u00e9"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HealthProbe.http(bad));
            assertTrue(e.getMessage().startsWith("path: "), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> HealthProbe.webSocket(bad));
        }
        assertFalse(HealthProbe.http("/ok").toString().isEmpty());
    }
}
