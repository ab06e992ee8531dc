package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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

@ExtendWith(FaultOracle.class)
class RefusalEventsTest {

    @Test
    void shouldReportClientsRefusedAtAcceptToTheListenerWithTheReason() throws Exception {
        EventRecorder listener = new EventRecorder();
        BlockingQueue<ConnectionEvent> rejected = listener.rejected;
        try (EchoServer echo = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                     .deny("127.0.0.0/8").listener(listener).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                s.setSoTimeout(10_000);
                int read;
                try {
                    read = s.getInputStream().read();
                } catch (java.net.SocketException reset) {
                    read = -1;
                }
                assertEquals(-1, read, "closed at accept");
                Await.until("the refusal reaches the listener", () -> rejected.size() == 1, Duration.ofSeconds(10));
                ConnectionEvent event = rejected.peek();
                assertEquals("in a denied range", event.reason());
                assertEquals(s.getLocalPort(), event.client().getPort());
                assertEquals(front, event.frontend());
                assertNull(event.backend());
                assertEquals(1, lb.stats().rejectedConnections());
                assertEquals(0, echo.accepted(), "no byte reached a backend");
            }
        }
    }
}
