package io.lb4j;

import static io.lb4j.testing.ClientEnd.readOrReset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.EventRecorder;
import io.lb4j.testing.FaultOracle;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Clients closed without being relayed are told apart by reason: no usable backend, every backend at
 * its limit (no connect tried), every connect failed; none of them counts as "rejected".
 */
@ExtendWith(FaultOracle.class)
class UnservedTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void shouldCountAClientTurnedAwayByFullBackendsAsBackendFullWithItsOwnReason() throws Exception {
        EventRecorder listener = new EventRecorder();
        BlockingQueue<ConnectionEvent> unserved = listener.rejected;
        try (EchoServer echo = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0")
                     .backend(Backend.parse(echo.hostPort()).withMaxConnections(1)).probe(null).eventLoops(1)
                     .listener(listener).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            try (Socket held = new Socket(front.getAddress(), front.getPort())) {
                held.getOutputStream().write('x');
                held.setSoTimeout((int) WAIT.toMillis());
                assertEquals('x', held.getInputStream().read(), "the one place is taken");
                try (Socket turnedAway = new Socket(front.getAddress(), front.getPort())) {
                    assertEquals(-1, readOrReset(turnedAway, WAIT), "closed: the only backend is full");
                }
                Await.until("the unserved client counted", () -> lb.stats().unserved().backendFull() == 1, WAIT);
            }
            BalancerStats stats = lb.stats();
            assertEquals(new BalancerStats.Unserved(0, 1, 0, 0), stats.unserved());
            assertEquals(0, stats.rejectedConnections(), "not refused by a rule");
            assertEquals(0, stats.backends().get(0).connectFailures(), "no connect was tried");
            Await.until("the event", () -> unserved.size() == 1, WAIT);
            assertEquals("all backends at their connection limit", unserved.peek().reason());
        }
    }

    @Test
    void shouldCountAClientWithNoUsableBackendAsNoBackend() throws Exception {
        try (EchoServer echo = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0")
                     .backend(Backend.parse(echo.hostPort()).withAdminState(Backend.AdminState.DOWN)).probe(null)
                     .eventLoops(1).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                assertEquals(-1, readOrReset(s, WAIT));
            }
            Await.until("counted", () -> lb.stats().unserved().noBackend() == 1, WAIT);
            assertEquals(1, lb.stats().unserved().total());
            assertTrue(lb.stats().rejectedConnections() == 0);
        }
    }
}
