package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class FrontHealthTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static boolean connects(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 5_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void shouldAnswer503OverHttpOnceTooFewBackendsAreUsable() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .probe(null).frontHealth("127.0.0.1:0").frontHealthMinBackends(2).eventLoops(1).build()) {
            lb.start();
            InetSocketAddress health = lb.frontHealthAddress();
            MetricsEndpointTest.Response ok = MetricsEndpointTest.get(health, "/");
            assertEquals(200, ok.status());
            assertEquals("healthy\n", ok.body());
            lb.drain(Backend.parse(a.hostPort()), Duration.ofMillis(50)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(503, MetricsEndpointTest.get(health, "/").status(), "one usable backend of the two needed");
        }
    }

    @Test
    void shouldCloseTheTcpListenerWhileUnhealthy() throws Exception {
        try (EchoServer a = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).probe(null)
                     .frontHealth("127.0.0.1:0").frontHealthMode(Balancer.FrontHealthMode.TCP).eventLoops(1).build()) {
            lb.start();
            InetSocketAddress health = lb.frontHealthAddress();
            assertEquals(true, connects(health), "open while healthy");
            lb.drain(Backend.parse(a.hostPort()), Duration.ofMillis(50)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            Await.until("listener closed", () -> !connects(health), WAIT);
        }
    }

    @Test
    void shouldRejectFrontHealthSettingsWithoutAnAddressAndBadKeepAlive() {
        assertThrows(IllegalArgumentException.class, () -> Balancer.builder().listen("127.0.0.1:0")
                .backend("127.0.0.1:9").frontHealthMinBackends(2).build());
        assertEquals("drainPacing: 1m (expected: <= drainTimeout 30s)", assertThrows(IllegalArgumentException.class,
                () -> Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:9")
                        .drainPacing(Duration.ofMinutes(1)).build()).getMessage());
        assertEquals("tcpKeepAlive: 500ms (expected: 0 or >= 1s)", assertThrows(IllegalArgumentException.class,
                () -> Balancer.builder().tcpKeepAlive(Duration.ofMillis(500))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Balancer.builder().frontHealthMinBackends(-1));
    }
}
