package io.lb4j;

import static io.lb4j.testing.ClientEnd.readOrReset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.Cleanup;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.PeerServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

@ExtendWith(FaultOracle.class)
class RelayTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    private static Balancer.Builder base(String... backends) {
        Balancer.Builder b = Balancer.builder().listen("127.0.0.1:0").probe(null).eventLoops(1)
                .policy(BalancingPolicy.roundRobin()).drainTimeout(Duration.ofSeconds(5));
        for (String backend : backends) {
            b.backend(backend);
        }
        return b;
    }

    private Socket connect(Balancer balancer) throws IOException {
        return cleanup.connect(balancer, WAIT);
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] buf = in.readNBytes(n);
        assertEquals(n, buf.length, "stream ended early");
        return buf;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void shouldPassClientFinToBackendAfterPendingBytesAndKeepTheOtherDirectionOpen() throws Exception {
        PeerServer peer = cleanup.track(PeerServer.start());
        Balancer lb = cleanup.start(base(peer.hostPort()));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("request"));
        client.shutdownOutput();
        Socket backend = cleanup.track(peer.next(WAIT));
        assertArrayEquals(bytes("request"), readExactly(backend.getInputStream(), 7));
        assertEquals(-1, backend.getInputStream().read(), "backend sees the client's FIN");
        backend.getOutputStream().write(bytes("response after half-close"));
        assertArrayEquals(bytes("response after half-close"), readExactly(client.getInputStream(), 25));
        backend.close();
        assertEquals(-1, client.getInputStream().read(), "client sees the backend's FIN");
    }

    @Test
    void shouldPassBackendFinToClientAndKeepTheOtherDirectionOpen() throws Exception {
        PeerServer peer = cleanup.track(PeerServer.start());
        Balancer lb = cleanup.start(base(peer.hostPort()));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("x"));
        Socket backend = cleanup.track(peer.next(WAIT));
        readExactly(backend.getInputStream(), 1);
        backend.getOutputStream().write(bytes("last words"));
        backend.shutdownOutput();
        assertArrayEquals(bytes("last words"), readExactly(client.getInputStream(), 10));
        assertEquals(-1, client.getInputStream().read(), "client sees the backend's FIN");
        client.getOutputStream().write(bytes("still talking"));
        assertArrayEquals(bytes("still talking"), readExactly(backend.getInputStream(), 13));
        client.close();
        assertEquals(-1, backend.getInputStream().read());
    }

    @Test
    void shouldResetBackendWhenClientResets() throws Exception {
        PeerServer peer = cleanup.track(PeerServer.start());
        Balancer lb = cleanup.start(base(peer.hostPort()));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("hi"));
        Socket backend = cleanup.track(peer.next(WAIT));
        readExactly(backend.getInputStream(), 2);
        client.setSoLinger(true, 0);
        client.close();
        assertThrows(SocketException.class, () -> drain(backend.getInputStream()),
                "a reset from the client arrives at the backend as a reset, not a FIN");
    }

    @Test
    void shouldResetClientWhenBackendResets() throws Exception {
        PeerServer peer = cleanup.track(PeerServer.start());
        Balancer lb = cleanup.start(base(peer.hostPort()));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("hi"));
        Socket backend = cleanup.track(peer.next(WAIT));
        readExactly(backend.getInputStream(), 2);
        backend.setSoLinger(true, 0);
        backend.close();
        assertThrows(SocketException.class, () -> drain(client.getInputStream()));
    }

    /** Reads to end of stream; a reset throws. */
    private static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[4096];
        while (in.read(buf) >= 0) {
            // discard
        }
    }

    @Test
    void shouldCloseIdlePairWithFin() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(base(echo.hostPort()).idleTimeout(Duration.ofMillis(300)));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("ping"));
        assertArrayEquals(bytes("ping"), readExactly(client.getInputStream(), 4));
        assertEquals(-1, client.getInputStream().read(), "idle timeout closes with FIN");
        Await.until("backend side closed", () -> echo.open() == 0, WAIT);
    }

    @Test
    void shouldResetIdlePairWhenResetOnIdleIsSet() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(base(echo.hostPort()).idleTimeout(Duration.ofMillis(300)).resetOnIdle(true));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("ping"));
        assertArrayEquals(bytes("ping"), readExactly(client.getInputStream(), 4));
        assertThrows(SocketException.class, () -> drain(client.getInputStream()));
    }

    @Test
    void shouldKeepActivePairOpenPastIdleTimeout() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(base(echo.hostPort()).idleTimeout(Duration.ofMillis(1000)));
        Socket client = connect(lb);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3000);
        int rounds = 0;
        while (System.nanoTime() - end < 0) {
            client.getOutputStream().write(bytes("tick"));
            assertArrayEquals(bytes("tick"), readExactly(client.getInputStream(), 4));
            rounds++;
            Thread.sleep(100); // the traffic pattern under test: a message every 100 ms
        }
        assertTrue(rounds >= 5, "pair stayed open across three idle timeouts' worth of time: " + rounds);
    }

    @Test
    void shouldSkipRefusedBackendAndServeClientFromTheNext() throws Exception {
        int refused = freePortWithNothingListening();
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(base("127.0.0.1:" + refused, echo.hostPort()).connectAttempts(2));
        for (int i = 0; i < 4; i++) {
            try (Socket client = connect(lb)) {
                client.getOutputStream().write(bytes("n" + i));
                assertArrayEquals(bytes("n" + i), readExactly(client.getInputStream(), 2));
            }
        }
        BalancerStats.BackendStats dead = lb.stats().backends().get(0);
        assertTrue(dead.connectFailures() >= 1, "the refused backend's failures are counted");
        assertEquals(4, lb.stats().backends().get(1).totalConnections());
    }

    @Test
    void shouldCloseClientAtOnceWhenNoBackendIsUsable() throws Exception {
        int refused = freePortWithNothingListening();
        Balancer lb = cleanup.start(base("127.0.0.1:" + refused).probe(HealthProbe.tcp()));
        assertEquals(HealthState.DOWN, lb.stats().backends().get(0).state());
        Socket client = connect(lb);
        client.setSoTimeout(5_000);
        int read = readOrReset(client);
        assertEquals(-1, read, "closed, not left hanging");
        Await.until("counted as unserved for want of a backend",
                () -> lb.stats().unserved().equals(new BalancerStats.Unserved(1, 0, 0, 0)), WAIT);
        assertEquals(0, lb.stats().rejectedConnections(), "not refused by a rule");
    }

    @Test
    void shouldCloseClientWhenEveryConnectAttemptIsRefused() throws Exception {
        int refused = freePortWithNothingListening();
        Balancer lb = cleanup.start(base("127.0.0.1:" + refused));
        Socket client = connect(lb);
        int read = readOrReset(client);
        assertEquals(-1, read);
    }

    @Test
    void shouldNeverTryTheSameBackendTwiceForOneClient() throws Exception {
        int refused = freePortWithNothingListening();
        Balancer lb = cleanup.start(base("127.0.0.1:" + refused).connectAttempts(3));
        Socket client = connect(lb);
        int read = readOrReset(client);
        assertEquals(-1, read, "closed: the only backend refused");
        Await.until("the attempt counted", () -> lb.stats().unserved().connectFailed() == 1, WAIT);
        assertEquals(1, lb.stats().backends().get(0).connectFailures(), "one attempt, not three at one backend");
    }

    @Test
    void shouldNeverCloseAnIdlePairWhenTheIdleTimeoutIsZero() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(base(echo.hostPort()).idleTimeout(Duration.ZERO));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("ping"));
        assertArrayEquals(bytes("ping"), readExactly(client.getInputStream(), 4));
        Thread.sleep(1_500); // the behaviour under test: 1.5 s without a byte either way
        client.getOutputStream().write(bytes("pong"));
        assertArrayEquals(bytes("pong"), readExactly(client.getInputStream(), 4), "0 = never: still open");
        assertEquals(1, lb.stats().activeConnections());
    }

    @Test
    void shouldShowClientTheCloseWhenBackendDiesMidStream() throws Exception {
        PeerServer peer = cleanup.track(PeerServer.start());
        Balancer lb = cleanup.start(base(peer.hostPort()));
        Socket client = connect(lb);
        client.getOutputStream().write(new byte[100_000]);
        Socket backend = cleanup.track(peer.next(WAIT));
        readExactly(backend.getInputStream(), 50_000);
        backend.close(); // unread bytes pending: the kernel answers with a reset
        int read = readOrReset(client);
        assertEquals(-1, read, "client sees the backend go");
    }

    @Test
    void shouldLetInFlightTransferFinishOnCloseAndRefuseNewConnections() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(base(echo.hostPort()).drainTimeout(Duration.ofSeconds(30)));
        InetSocketAddress address = lb.addresses().get(0);
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("before"));
        assertArrayEquals(bytes("before"), readExactly(client.getInputStream(), 6));
        CompletableFuture<Void> closing = CompletableFuture.runAsync(lb::close);
        Await.until("new connections refused", () -> refuses(address), WAIT);
        byte[] payload = new byte[1_000_000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                client.getOutputStream().write(payload);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertArrayEquals(payload, readExactly(client.getInputStream(), payload.length), "in-flight bytes all arrive");
        writer.get(10, TimeUnit.SECONDS);
        assertTrue(!closing.isDone(), "close waits while a connection is open");
        client.close();
        closing.get(10, TimeUnit.SECONDS); // well inside the 30 s drain timeout
    }

    @Test
    void shouldCloseRemainingConnectionsWhenDrainTimeoutPasses() throws Exception {
        EchoServer echo = cleanup.track(EchoServer.start());
        Balancer lb = cleanup.start(base(echo.hostPort()).drainTimeout(Duration.ofMillis(200)));
        Socket client = connect(lb);
        client.getOutputStream().write(bytes("x"));
        readExactly(client.getInputStream(), 1);
        CompletableFuture.runAsync(lb::close).get(10, TimeUnit.SECONDS);
        int read = readOrReset(client);
        assertEquals(-1, read, "the straggler is closed after the drain timeout");
    }

    private static boolean refuses(InetSocketAddress address) {
        try (Socket probe = new Socket(address.getAddress(), address.getPort())) {
            return !probe.isConnected();
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * A loopback port where nothing listens, held for the test: a bound, unconnected socket without
     * {@code SO_REUSEADDR} keeps other processes on the machine from binding it (a port merely found
     * free may be taken by a parallel test run, and the "refused" backend then answers).
     */
    int freePortWithNothingListening() throws IOException {
        Socket reserved = new Socket();
        cleanup.track(reserved);
        reserved.setReuseAddress(false);
        reserved.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
        return reserved.getLocalPort();
    }
}
