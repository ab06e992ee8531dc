package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.internal.relay.ReusePort;
import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.TagServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Restart without refusing anyone: two balancers share a port with {@code reusePort}, and the old one
 * hands its listeners over to the new one before draining.
 */
@ExtendWith(FaultOracle.class)
class HandOverTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** A port that was free a moment ago (reusePort needs a fixed one). */
    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            return probe.getLocalPort();
        }
    }

    static Balancer.Builder shared(int port, String backend) {
        return Balancer.builder().listen("127.0.0.1:" + port).backend(backend).probe(null).eventLoops(1)
                .reusePort(true).jmx(false);
    }

    /** Connects and reads the one tag byte its backend writes. */
    static char tagOf(int port) throws IOException {
        try (Socket s = new Socket(LOOPBACK, port)) {
            s.setSoTimeout(10_000);
            int b = s.getInputStream().read();
            return (char) b;
        }
    }

    @Test
    void shouldServeFromBothBalancersSharingOnePortWithReusePort() throws Exception {
        int port = freePort();
        try (TagServer a = TagServer.start('a'); TagServer b = TagServer.start('b');
             Balancer first = shared(port, a.hostPort()).build();
             Balancer second = shared(port, b.hostPort()).build()) {
            first.start();
            second.start();
            assertEquals(port, first.addresses().get(0).getPort());
            assertEquals(port, second.addresses().get(0).getPort());
            boolean sawA = false;
            boolean sawB = false;
            // the kernel hashes each new connection's 4-tuple onto one of the two listeners
            for (int i = 0; i < 200 && !(sawA && sawB); i++) {
                char tag = tagOf(port);
                sawA |= tag == 'a';
                sawB |= tag == 'b';
            }
            assertTrue(sawA && sawB, "both balancers served clients on port " + port + ": a=" + sawA + " b=" + sawB);
        }
    }

    @Test
    void shouldStillRefuseAHeldPortByDefault() throws Exception {
        int port = freePort();
        try (EchoServer echo = EchoServer.start(); Balancer holder = shared(port, echo.hostPort()).build()) {
            holder.start();
            Balancer plain = Balancer.builder().listen("127.0.0.1:" + port).backend(echo.hostPort()).probe(null)
                    .eventLoops(2).jmx(false).build();
            UncheckedIOException e = assertThrows(UncheckedIOException.class, plain::start);
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            plain.close();
        }
        // and a reusePort balancer never shares with a listener that did not opt in
        try (EchoServer echo = EchoServer.start(); ServerSocket foreign = new ServerSocket(0, 50, LOOPBACK)) {
            Balancer sharing = shared(foreign.getLocalPort(), echo.hostPort()).build();
            UncheckedIOException e = assertThrows(UncheckedIOException.class, sharing::start);
            assertTrue(e.getMessage().contains("127.0.0.1:" + foreign.getLocalPort()), e.getMessage());
            sharing.close();
        }
    }

    @Test
    void shouldRejectReusePortWithPortZeroAtBuild() {
        Balancer.Builder builder = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:9").reusePort(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
        assertEquals("reusePort: listen address 127.0.0.1:0 has port 0 (expected: a fixed port, which a "
                + "successor can bind too)", e.getMessage());
    }

    @Test
    void shouldRefuseMisusedHandOversWithClearErrors() throws Exception {
        int port = freePort();
        try (EchoServer echo = EchoServer.start()) {
            Balancer notStarted = shared(port, echo.hostPort()).build();
            assertEquals("handOver: balancer is new (call it between start() and close())",
                    assertThrows(IllegalStateException.class, notStarted::handOver).getMessage());
            notStarted.close();

            try (Balancer plain = Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                    .jmx(false).build()) {
                plain.start();
                IllegalStateException e = assertThrows(IllegalStateException.class, plain::handOver);
                assertTrue(e.getMessage().startsWith("handOver: reusePort is off"), e.getMessage());
            }

            try (Balancer alone = shared(port, echo.hostPort()).build()) {
                alone.start();
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> alone.handOver(Duration.ofSeconds(1)));
                if (ReusePort.listeners(new InetSocketAddress(LOOPBACK, port)) >= 0) {
                    assertTrue(e.getMessage().startsWith("handOver: no successor listens on 127.0.0.1:" + port),
                            e.getMessage());
                }
                assertThrows(IllegalArgumentException.class, () -> alone.handOver(Duration.ofSeconds(-1)));
                EchoServerRoundTrip.roundTrip(port, "still accepting after a refused hand-over");

                try (Balancer successor = shared(port, echo.hostPort()).build()) {
                    successor.start();
                    alone.handOver(Duration.ZERO);
                    IllegalStateException twice = assertThrows(IllegalStateException.class, alone::handOver);
                    assertTrue(twice.getMessage().startsWith("handOver: handed over already"), twice.getMessage());
                }
            }
        }
    }

    @Test
    void shouldRelayTheClientsQueuedOnTheOldListenersInsteadOfResettingThem() throws Exception {
        int port = freePort();
        int clients = 24;
        try (TagServer a = TagServer.start('a'); TagServer b = TagServer.start('b');
             // one accept per second: clients hashed to the old balancer wait in its listen backlog
             Balancer old = shared(port, a.hostPort()).acceptRate(1, 1).drainTimeout(Duration.ofSeconds(20)).build();
             Balancer successor = shared(port, b.hostPort()).build()) {
            old.start();
            successor.start();
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    Socket s = new Socket(LOOPBACK, port); // the handshake completes in the kernel either way
                    s.setSoTimeout(10_000);
                    sockets.add(s);
                }
                CompletableFuture<Void> handOver = CompletableFuture.runAsync(old::handOver);
                int fromOld = 0;
                for (Socket s : sockets) {
                    int tag = s.getInputStream().read();
                    assertTrue(tag == 'a' || tag == 'b', "every client is relayed, none reset: read " + tag);
                    fromOld += tag == 'a' ? 1 : 0;
                }
                assertTrue(fromOld >= 2, "more clients hashed to the old listener than its one accept token: "
                        + fromOld + " of " + clients);
                assertEquals(fromOld, a.accepted(), "each of the old balancer's clients reached its backend once");
                for (Socket s : sockets) {
                    s.close();
                }
                handOver.get(WAIT.toSeconds(), TimeUnit.SECONDS); // drained: its clients have left
                assertEquals('b', tagOf(port), "after the hand-over the successor takes every client");
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    /** What a client connecting in a loop saw across one hand-over. */
    record LoopResult(int ok, int refused, int reset, List<String> failures) {
        String line() {
            return "RESULT ok=" + ok + " refused=" + refused + " reset=" + reset + " migrate="
                    + ReusePort.migrateReq() + " failures=" + failures;
        }
    }

    /**
     * A client connects in a loop (one echo each) through a reusePort balancer while a successor starts
     * on the same port and the first hands over to it; counts refusals and resets.
     */
    static LoopResult connectLoopAcrossHandOver() throws Exception {
        int port = freePort();
        try (EchoServer echo = EchoServer.start()) {
            Balancer old = shared(port, echo.hostPort()).eventLoops(2).build();
            old.start();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger reset = new AtomicInteger();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread client = new Thread(() -> {
                byte[] buf = new byte[1];
                while (running.get()) {
                    try (Socket s = new Socket()) {
                        s.setSoTimeout(10_000);
                        s.connect(new InetSocketAddress(LOOPBACK, port), 10_000);
                        OutputStream out = s.getOutputStream();
                        InputStream in = s.getInputStream();
                        out.write(7);
                        if (in.read(buf) == 1 && buf[0] == 7) {
                            ok.incrementAndGet();
                        } else {
                            reset.incrementAndGet();
                            failures.add("no echo");
                        }
                    } catch (ConnectException e) {
                        refused.incrementAndGet();
                        failures.add(e.toString());
                    } catch (IOException e) {
                        reset.incrementAndGet();
                        failures.add(e.toString());
                    }
                }
            }, "connect-loop");
            client.start();
            try (Balancer successor = shared(port, echo.hostPort()).eventLoops(2).build()) {
                Await.until("clients served by the old balancer", () -> ok.get() > 200, WAIT);
                successor.start();
                int before = ok.get();
                Await.until("clients served while both listen", () -> ok.get() > before + 200, WAIT);
                old.handOver(Duration.ofSeconds(1));
                int after = ok.get();
                Await.until("clients served by the successor alone", () -> ok.get() > after + 200, WAIT);
                running.set(false);
                client.join(WAIT.toMillis());
            } finally {
                running.set(false);
                client.join(WAIT.toMillis());
                old.close();
            }
            return new LoopResult(ok.get(), refused.get(), reset.get(), List.copyOf(failures));
        }
    }

    @Test
    void shouldRefuseNoClientConnectingInALoopWhileHandingOver() throws Exception {
        LoopResult result = connectLoopAcrossHandOver();
        System.out.println("hand-over under a connect loop: " + result.line());
        assertEquals(0, result.refused(), "no connect refused: a listener holds the port throughout " + result);
        if (ReusePort.migrateReq() == 1) {
            assertEquals(0, result.reset(), "the kernel moved what was queued at close: " + result);
        }
    }

    @Test
    void shouldNeitherRefuseNorResetAClientConnectingInALoopWhenTheKernelMigratesRequests() throws Exception {
        // tcp_migrate_req is per network namespace: set it in one of the child JVM's own
        List<String> command = new ArrayList<>(List.of("unshare", "-n", "sh", "-c",
                "ip link set lo up && echo 1 > /proc/sys/net/ipv4/tcp_migrate_req && exec \"$@\"", "sh"));
        command.addAll(io.lb4j.testing.ChildJvm.command(HandOverUnderMigration.class.getName()));
        Process probe;
        try {
            probe = new ProcessBuilder("unshare", "-n", "sh", "-c",
                    "ip link set lo up && echo 1 > /proc/sys/net/ipv4/tcp_migrate_req").start();
        } catch (IOException e) {
            probe = null;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(probe != null && probe.waitFor(10, TimeUnit.SECONDS)
                && probe.exitValue() == 0, "a network namespace of our own with tcp_migrate_req=1 (root, Linux 5.14+)");
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String out = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(child.waitFor(WAIT.toSeconds() * 3, TimeUnit.SECONDS), "the child finished: " + out);
            assertEquals(0, child.exitValue(), out);
            String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(out);
            System.out.println("hand-over under a connect loop, tcp_migrate_req=1: " + line);
            assertTrue(line.contains(" migrate=1 "), line);
            assertTrue(line.contains(" refused=0 "), "no connect refused: " + line);
            assertTrue(line.contains(" reset=0 "), "no client reset: the kernel moved what was queued: " + line);
            assertTrue(!line.startsWith("RESULT ok=0 "), "clients were served: " + line);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void shouldCloseEveryConnectionOfTheOldBalancerWithinTheHandOverWindow() throws Exception {
        int port = freePort();
        int held = 30;
        try (EchoServer echo = EchoServer.start();
             Balancer old = shared(port, echo.hostPort()).drainTimeout(Duration.ofMinutes(5)).build();
             Balancer successor = shared(port, echo.hostPort()).build()) {
            old.start();
            List<Socket> sockets = new ArrayList<>();
            try {
                Await.until(held + " connections on the old balancer", () -> {
                    try {
                        Socket s = new Socket(LOOPBACK, port);
                        s.setSoTimeout(10_000);
                        sockets.add(s);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return old.connections().size() >= held;
                }, WAIT);
                successor.start();
                // a window far below the builder's 5-minute drain timeout: handOver(window) decides
                old.handOver(Duration.ofMillis(500));
                for (Socket s : sockets) {
                    try {
                        assertEquals(-1, s.getInputStream().read(), "closed by the paced drain");
                    } catch (java.net.SocketException reset) {
                        // closed by reset: closed all the same
                    }
                }
                Await.until("no backend connection of the old balancer left", () -> echo.open() == 0, WAIT);
                EchoServerRoundTrip.roundTrip(port, "the successor serves");
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    /** One echo round trip through a balancer's port, on a fresh connection. */
    static final class EchoServerRoundTrip {
        private EchoServerRoundTrip() {
        }

        static void roundTrip(int port, String what) throws IOException {
            try (Socket s = new Socket(LOOPBACK, port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(42);
                assertEquals(42, s.getInputStream().read(), what);
            }
        }
    }
}
