package io.lb4j.internal.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.HttpTestServer;
import io.lb4j.testing.WebSocketTestServer;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@ExtendWith(FaultOracle.class)
class WebSocketProbeTest {
    @RegisterExtension
    static final ProbeRunner runner = new ProbeRunner();

    @Test
    void shouldComputeTheAcceptOfRfc6455Section1_3() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketProbe.accept("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    @Test
    void shouldPassOnACorrectHandshakeAndThenSendAMaskedClose1000() throws Exception {
        try (WebSocketTestServer server = WebSocketTestServer.start()) {
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.webSocket("/chat"), server.address()));
            String head = server.requests().get(0);
            assertTrue(head.startsWith("GET /chat HTTP/1.1\r\n"), head);
            assertEquals("13", HttpTestServer.header(head, "Sec-WebSocket-Version"));
            assertEquals(16, Base64.getDecoder().decode(HttpTestServer.header(head, "Sec-WebSocket-Key")).length);
            Await.until("close frame received", () -> server.cleanCloses() == 1, Duration.ofSeconds(5));
        }
    }

    @Test
    void shouldUseAFreshKeyForEachHandshake() throws Exception {
        try (WebSocketTestServer server = WebSocketTestServer.start()) {
            runner.check(HealthProbe.webSocket("/"), server.address());
            runner.check(HealthProbe.webSocket("/"), server.address());
            String first = HttpTestServer.header(server.requests().get(0), "Sec-WebSocket-Key");
            String second = HttpTestServer.header(server.requests().get(1), "Sec-WebSocket-Key");
            assertTrue(!first.equals(second), first + " reused");
        }
    }

    @Test
    void shouldFailOnAWrongAcceptKey() throws Exception {
        try (WebSocketTestServer server = WebSocketTestServer.withWrongAccept()) {
            assertEquals(ProbeResult.failed("wrong Sec-WebSocket-Accept"),
                    runner.check(HealthProbe.webSocket("/"), server.address()));
        }
    }

    @Test
    void shouldFailOnA200ToTheUpgrade() throws Exception {
        try (HttpTestServer server = HttpTestServer.start(HttpTestServer.status(200))) {
            assertEquals(ProbeResult.failed("status 200"), runner.check(HealthProbe.webSocket("/"), server.address()));
        }
    }

    @Test
    void shouldFailOnA101WithoutUpgradeHeader() throws Exception {
        try (HttpTestServer server = HttpTestServer.start((head, socket, s) -> {
            String key = HttpTestServer.header(head, "Sec-WebSocket-Key");
            socket.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + WebSocketTestServer.acceptFor(key) + "\r\n\r\n").getBytes());
        })) {
            assertEquals(ProbeResult.failed("101 without Upgrade: websocket"),
                    runner.check(HealthProbe.webSocket("/"), server.address()));
        }
    }
}
