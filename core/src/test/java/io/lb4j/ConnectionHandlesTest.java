package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class ConnectionHandlesTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int CLIENTS = 30;

    /** Sends {@code n} bytes and reads the echo back in full. */
    static void roundTrip(Socket socket, int n) throws IOException {
        byte[] bytes = new byte[n];
        socket.getOutputStream().write(bytes);
        InputStream in = socket.getInputStream();
        int read = 0;
        while (read < n) {
            int r = in.read(bytes, read, n - read);
            if (r < 0) {
                throw new IOException("closed after " + read + " of " + n);
            }
            read += r;
        }
    }

    @Test
    void shouldListExactlyTheOpenConnectionsWithTheirBytesBackendsAndTags() throws Exception {
        Queue<ConnectionEvent> closed = new ConcurrentLinkedQueue<>();
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(2)
                     .listener(new BalancerListener() {
                         @Override
                         public void connectionClosed(ConnectionEvent event) {
                             closed.add(event);
                         }
                     }).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            List<Socket> sockets = new ArrayList<>();
            Map<Integer, Integer> bytesByPort = new HashMap<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    Socket s = new Socket(front.getAddress(), front.getPort());
                    s.setSoTimeout(10_000);
                    sockets.add(s);
                    roundTrip(s, 100 + i * 37);
                    bytesByPort.put(s.getLocalPort(), 100 + i * 37);
                }
                List<Connection> all = lb.connections();
                assertEquals(CLIENTS, all.size(), "one handle per open connection");
                Set<Integer> ports = new HashSet<>();
                for (Connection c : all) {
                    ports.add(c.client().getPort());
                    int sent = bytesByPort.get(c.client().getPort());
                    assertEquals(sent, c.bytesToBackend(), "bytes to backend of " + c);
                    assertEquals(sent, c.bytesToClient(), "bytes to client of " + c);
                    assertEquals(front, c.frontend());
                    assertTrue(!c.age().isNegative() && c.idle().compareTo(c.age()) <= 0, "idle within age: " + c);
                    assertNull(c.tag());
                }
                assertEquals(bytesByPort.keySet(), ports, "the handles are the connections the clients opened");
                List<Integer> openedOrder = new ArrayList<>();
                for (Socket s : sockets) {
                    openedOrder.add(s.getLocalPort());
                }
                assertEquals(openedOrder, all.stream().map(c -> c.client().getPort()).toList(),
                        "oldest first (the clients opened one after another)");
                assertEquals(CLIENTS / 2, lb.connections(Backend.parse(a.hostPort())).size());
                assertEquals(CLIENTS / 2, lb.connections(Backend.parse(b.hostPort())).size());

                Connection victim = all.get(3);
                victim.tag("user-42");
                boolean seen = false;
                for (Connection c : lb.connections()) {
                    if (c.client().equals(victim.client())) {
                        assertEquals("user-42", c.tag());
                        seen = true;
                    }
                }
                assertTrue(seen, "the tagged connection is still listed");

                assertTrue(victim.close("kicked").toCompletableFuture().get(10, TimeUnit.SECONDS),
                        "close closed an open connection");
                assertFalse(victim.close("again").toCompletableFuture().get(10, TimeUnit.SECONDS),
                        "a second close finds it ended");
                Socket closedSocket = null;
                for (Socket s : sockets) {
                    if (s.getLocalPort() == victim.client().getPort()) {
                        closedSocket = s;
                    }
                }
                assertEquals(-1, closedSocket.getInputStream().read(), "the client sees the close");
                Await.until("close event", () -> !closed.isEmpty(), WAIT);
                assertEquals("closed by host: kicked", closed.peek().reason());
                assertEquals(CLIENTS - 1, lb.connections().size(), "the closed one is no longer listed");
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            Await.until("all closed", () -> lb.connections().isEmpty(), WAIT);
        }
    }

    @Test
    void shouldRefuseToListBeforeStart() {
        try (EchoServer a = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).probe(null).build()) {
            assertThrows(IllegalStateException.class, lb::connections);
        }
    }
}
