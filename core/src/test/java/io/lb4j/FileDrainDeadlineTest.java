package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backends file's {@code state=drain deadline=D}: the backend's open connections are closed spread
 * over D, none left after it; the drain is called off when the line returns to {@code up}.
 */
@ExtendWith(FaultOracle.class)
class FileDrainDeadlineTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static Explanation.Choice verdict(Balancer lb, String backend) {
        InetSocketAddress front = lb.addresses().get(0);
        for (Explanation.Choice c : lb.explain(new InetSocketAddress(front.getAddress(), 1)).candidates()) {
            if (c.backend().name().equals(backend)) {
                return c;
            }
        }
        throw new AssertionError(backend + " not a candidate");
    }

    @Test
    void shouldCloseTheConnectionsSpreadOverTheDeadlineAndNoneAfterIt() throws Exception {
        int n = 40;
        PacedDrainTest.CloseTimes drained = new PacedDrainTest.CloseTimes("backend drained");
        Path file = dir.resolve("backends.txt");
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            Files.writeString(file, a.hostPort() + "\n");
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(BackendRegistry.file(file))
                    .probe(null).eventLoops(2).listener(drained).build()) {
                lb.start();
                List<SocketChannel> clients = PacedDrainTest.open(lb.addresses().get(0), n);
                try {
                    Await.until("all relayed", () -> lb.connections().size() == n, WAIT);
                    long writtenNs = System.nanoTime();
                    Files.writeString(file, a.hostPort() + " state=drain deadline=2s\n" + b.hostPort() + "\n");
                    Await.until("every connection of the drained backend closed", () -> a.open() == 0, WAIT);
                    assertEquals(n, drained.times.size(), "each closed by the drain");
                    long first = drained.times.stream().mapToLong(Long::longValue).min().orElseThrow();
                    long last = drained.latestNs();
                    // the change applies within 2 s of the write (CLI contract), then the 2 s window runs
                    assertTrue(last - writtenNs < Duration.ofSeconds(4).plusMillis(500).toNanos(),
                            "none left after the deadline: last closed " + (last - writtenNs) / 1_000_000 + " ms after the write");
                    assertTrue(last - first >= Duration.ofMillis(1_000).toNanos(),
                            "closes spread over the window, not at once: " + (last - first) / 1_000_000 + " ms apart");
                    assertTrue(last - first <= Duration.ofMillis(2_100).toNanos(),
                            "within the 2 s window: " + (last - first) / 1_000_000 + " ms apart");
                    assertEquals("draining", verdict(lb, a.hostPort()).reason(), "no new connection to it");
                } finally {
                    PacedDrainTest.closeAll(clients);
                }
            }
        }
    }

    @Test
    void shouldCallTheDrainOffWhenTheLineReturnsToUp() throws Exception {
        int n = 30;
        PacedDrainTest.CloseTimes drained = new PacedDrainTest.CloseTimes("backend drained");
        Path file = dir.resolve("backends.txt");
        try (EchoServer a = EchoServer.start()) {
            Files.writeString(file, a.hostPort() + "\n");
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(BackendRegistry.file(file))
                    .probe(null).eventLoops(1).listener(drained).build()) {
                lb.start();
                List<SocketChannel> clients = PacedDrainTest.open(lb.addresses().get(0), n);
                try {
                    Await.until("all relayed", () -> lb.connections().size() == n, WAIT);
                    Files.writeString(file, a.hostPort() + " state=drain deadline=3s\n");
                    Await.until("the drain began", () -> !drained.times.isEmpty(), WAIT);
                    Files.writeString(file, a.hostPort() + " state=up\n");
                    Await.until("back up", () -> verdict(lb, a.hostPort()).used(), WAIT);
                    int closedBeforeUp = drained.times.size();
                    long upNs = System.nanoTime();
                    assertTrue(closedBeforeUp < n, "called off before the end: " + closedBeforeUp);
                    // an observation window past the old deadline: no more closes may come
                    Await.until("the old deadline passed", () -> System.nanoTime() - upNs > 3_500_000_000L, WAIT);
                    assertTrue(drained.times.size() <= closedBeforeUp + 1,
                            "at most a close already under way after the call-off: " + drained.times.size()
                                    + " against " + closedBeforeUp);
                    assertEquals(n - drained.times.size(), lb.connections().size(), "the rest keep running");
                } finally {
                    PacedDrainTest.closeAll(clients);
                }
            }
        }
    }
}
