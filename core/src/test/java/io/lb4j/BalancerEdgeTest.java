package io.lb4j;

import static io.lb4j.testing.ClientEnd.closedByPeer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.internal.proxy.ProxyHeader;
import io.lb4j.testing.Await;
import io.lb4j.testing.Cleanup;
import io.lb4j.testing.CountingEchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PROXY protocol, limits and access control, end to end through a real balancer on loopback. */
@ExtendWith(FaultOracle.class)
class BalancerEdgeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    private CountingEchoServer backend(boolean readsHeader) {
        return cleanup.track(CountingEchoServer.start(readsHeader));
    }

    private Balancer start(CountingEchoServer backend, Consumer<Balancer.Builder> settings) {
        Balancer.Builder builder = Balancer.builder().listen("127.0.0.1:0").backend(backend.hostPort())
                .probe(null).eventLoops(2).drainTimeout(Duration.ZERO);
        settings.accept(builder);
        Balancer lb = builder.build();
        cleanup.track(lb::closeNow);
        lb.start();
        return lb;
    }

    private Socket connect(Balancer lb) throws IOException {
        return cleanup.connect(lb, WAIT);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] readExactly(Socket s, int n) throws IOException {
        byte[] out = s.getInputStream().readNBytes(n);
        assertEquals(n, out.length, "bytes before end of stream");
        return out;
    }

    @Test
    void shouldHandTheClaimedClientAddressToTheBackendInItsOwnV2Header() throws Exception {
        CountingEchoServer backend = backend(true);
        Balancer lb = start(backend, b -> b.acceptProxyProtocol(true).proxyProtocol(ProxyProtocol.V2));
        Socket client = connect(lb);
        // header and first bytes in one write: the bytes after the header must reach the backend too
        client.getOutputStream().write(ascii("PROXY TCP4 203.0.113.7 192.0.2.1 4242 443\r\nhello"));
        assertArrayEquals(ascii("hello"), readExactly(client, 5));
        ProxyHeader seen = backend.headers.poll(5, TimeUnit.SECONDS);
        assertNotNull(seen);
        assertEquals(2, seen.version());
        assertEquals(new InetSocketAddress(InetAddress.getByName("203.0.113.7"), 4242), seen.source());
        assertEquals(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 443), seen.destination());
        client.getOutputStream().write(ascii("more"));
        assertArrayEquals(ascii("more"), readExactly(client, 4));
    }

    @Test
    void shouldAcceptV1UnknownAndV2LocalAndUseThePeersOwnAddress() throws Exception {
        CountingEchoServer backend = backend(true);
        Balancer lb = start(backend, b -> b.acceptProxyProtocol(true).proxyProtocol(ProxyProtocol.V2));
        byte[] v2Local = java.util.HexFormat.of().parseHex("0d0a0d0a000d0a515549540a" + "20" + "00" + "0000");
        for (byte[] header : new byte[][] {ascii("PROXY UNKNOWN\r\n"), v2Local}) {
            Socket client = connect(lb);
            client.getOutputStream().write(header);
            client.getOutputStream().write(ascii("hi"));
            assertArrayEquals(ascii("hi"), readExactly(client, 2), "relayed after a LOCAL/UNKNOWN header");
            ProxyHeader seen = backend.headers.poll(5, TimeUnit.SECONDS);
            assertNotNull(seen);
            assertEquals(client.getLocalSocketAddress(), seen.source(), "the peer's own address is the client");
        }
        assertEquals(0, lb.stats().rejectedConnections());
    }

    @Test
    void shouldHashTheAddressThePeerClaimsInItsHeader() throws Exception {
        CountingEchoServer one = backend(false);
        CountingEchoServer two = backend(false);
        CountingEchoServer three = backend(false);
        Balancer lb = start(one, b -> b.backend(two.hostPort()).backend(three.hostPort()).acceptProxyProtocol(true)
                .policy(BalancingPolicy.sourceIp()));
        java.util.Set<String> used = new java.util.HashSet<>();
        for (int i = 1; i <= 12; i++) {
            InetSocketAddress claimed = new InetSocketAddress(InetAddress.getByName("198.51.100." + i), 4000 + i);
            String expected = lb.explain(claimed).chosen().name();
            for (int again = 0; again < 2; again++) {
                Socket client = connect(lb);
                client.getOutputStream().write(ascii("PROXY TCP4 198.51.100." + i + " 192.0.2.1 " + (4000 + i + again)
                        + " 443\r\nx"));
                assertArrayEquals(ascii("x"), readExactly(client, 1));
                List<Connection> open = lb.connections();
                assertEquals(1, open.size());
                assertEquals(expected, open.get(0).backend().name(), "the claimed IP decides, " + claimed);
                client.close();
                Await.until("closed", () -> lb.connections().isEmpty(), WAIT);
            }
            used.add(expected);
        }
        // all from 127.0.0.1 on the wire: hashing the real peer would put all twelve on one backend
        assertTrue(used.size() >= 2, used.toString());
    }

    @Test
    void shouldPassV2TlvsAndAddressesThroughAChainOfTwoBalancers() throws Exception {
        CountingEchoServer backend = backend(true);
        Balancer inner = start(backend, b -> b.acceptProxyProtocol(true).proxyProtocol(ProxyProtocol.V1));
        Balancer outer = Balancer.builder().listen("127.0.0.1:0")
                .backend("127.0.0.1:" + inner.addresses().get(0).getPort()).probe(null).eventLoops(1)
                .acceptProxyProtocol(true).proxyProtocol(ProxyProtocol.V2).build();
        cleanup.track(outer::closeNow);
        outer.start();
        Socket client = connect(outer);
        ByteBuffer header = ByteBuffer.allocate(ProxyHeader.MAX_ENCODED_BYTES);
        ProxyHeader.encode(ProxyProtocol.V2, new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 50000),
                new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 443), ascii("ws.example"), ascii("id-1"), header);
        client.getOutputStream().write(header.array(), 0, header.position());
        client.getOutputStream().write(ascii("ping"));
        assertArrayEquals(ascii("ping"), readExactly(client, 4));
        // outer read v2 and sent v2 to inner, inner read that and sent v1 to the backend
        ProxyHeader seen = backend.headers.poll(5, TimeUnit.SECONDS);
        assertNotNull(seen);
        assertEquals(1, seen.version());
        assertEquals(new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 50000), seen.source());
    }

    @Test
    void shouldCloseOnlyTheConnectionWithABadHeaderAndCountIt() throws Exception {
        CountingEchoServer backend = backend(false);
        Balancer lb = start(backend, b -> b.acceptProxyProtocol(true));
        Socket good = connect(lb);
        good.getOutputStream().write(ascii("PROXY TCP4 198.51.100.1 198.51.100.2 1000 80\r\nbefore"));
        assertArrayEquals(ascii("before"), readExactly(good, 6));
        for (String bad : new String[] {"PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", "GET / HTTP/1.1\r\n",
                "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"}) {
            Socket s = connect(lb);
            s.getOutputStream().write(ascii(bad));
            assertTrue(closedByPeer(s), bad);
        }
        good.getOutputStream().write(ascii("after"));
        assertArrayEquals(ascii("after"), readExactly(good, 5));
        Await.until("3 rejected", () -> lb.stats().rejectedConnections() == 3, WAIT);
        assertEquals(1, backend.accepted.get());
    }

    @Test
    void shouldCloseAClientThatSendsNoHeaderWithinThreeSeconds() throws Exception {
        CountingEchoServer backend = backend(false);
        Balancer lb = start(backend, b -> b.acceptProxyProtocol(true));
        Socket silent = connect(lb);
        long started = System.nanoTime();
        assertTrue(closedByPeer(silent));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(ms >= 2_900 && ms < 6_000, ms + " ms");
        Await.until("1 rejected", () -> lb.stats().rejectedConnections() == 1, WAIT);
        assertEquals(0, backend.accepted.get());
    }

    @Test
    void shouldRefuseHeadersFromPeersOutsideTheTrustedRanges() throws Exception {
        CountingEchoServer backend = backend(false);
        Balancer lb = start(backend, b -> b.acceptProxyProtocol(true).acceptProxyFrom("10.0.0.0/8"));
        Socket s = connect(lb);
        assertTrue(closedByPeer(s));
        Await.until("1 rejected", () -> lb.stats().rejectedConnections() == 1, WAIT);
        assertEquals(0, backend.accepted.get());
    }

    @Test
    void shouldRefuseDeniedAndUnlistedPeersAtAccept() throws Exception {
        CountingEchoServer backend = backend(false);
        Balancer denied = start(backend, b -> b.allow("127.0.0.0/8").deny("127.0.0.1"));
        Balancer unlisted = start(backend, b -> b.allow("10.0.0.0/8").allow("::1"));
        Balancer allowed = start(backend, b -> b.allow("192.0.2.0/24").allow("127.0.0.0/8").deny("10.0.0.0/8"));
        assertTrue(closedByPeer(connect(denied)));
        assertTrue(closedByPeer(connect(unlisted)));
        Socket ok = connect(allowed);
        ok.getOutputStream().write(ascii("hi"));
        assertArrayEquals(ascii("hi"), readExactly(ok, 2));
        Await.until("both rejected",
                () -> denied.stats().rejectedConnections() == 1 && unlisted.stats().rejectedConnections() == 1, WAIT);
        assertEquals(0, allowed.stats().rejectedConnections());
        assertEquals(1, backend.accepted.get());
    }

    @Test
    void shouldNeverRelayMoreThanMaxConnectionsAtOnceUnderABurst() throws Exception {
        CountingEchoServer backend = backend(false);
        Balancer lb = start(backend, b -> b.maxConnections(3));
        int clients = 24;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        cleanup.track(pool::shutdownNow);
        List<Future<byte[]>> echoes = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            byte[] message = ascii("client-" + (100 + i));
            echoes.add(pool.submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(lb.addresses().get(0), 5_000);
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write(message);
                    byte[] echo = s.getInputStream().readNBytes(message.length);
                    s.shutdownOutput();
                    s.getInputStream().read(); // wait for the pair to end before the slot frees
                    return echo;
                }
            }));
        }
        for (int i = 0; i < clients; i++) {
            assertArrayEquals(ascii("client-" + (100 + i)), echoes.get(i).get(30, TimeUnit.SECONDS));
        }
        assertEquals(clients, backend.accepted.get());
        assertTrue(backend.most.get() <= 3, "at most 3 relayed at once, saw " + backend.most.get());
        assertEquals(0, lb.stats().rejectedConnections());
        // 24 clients through 3 places: accepting must have stopped at the limit at least once
        assertTrue(lb.stats().acceptPauses().limit() >= 1, "limit pauses counted: " + lb.stats().acceptPauses());
    }

    @Test
    void shouldCloseConnectionsBeyondThePerClientLimitAndCountThem() throws Exception {
        CountingEchoServer backend = backend(false);
        Balancer lb = start(backend, b -> b.maxConnectionsPerClient(2));
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Socket s = connect(lb);
            s.getOutputStream().write(ascii("x"));
            assertArrayEquals(ascii("x"), readExactly(s, 1));
            held.add(s);
        }
        for (int i = 0; i < 5; i++) {
            assertTrue(closedByPeer(connect(lb)), "extra connection " + i);
        }
        Await.until("5 rejected", () -> lb.stats().rejectedConnections() == 5, WAIT);
        assertEquals(2, backend.accepted.get());
        held.get(0).close();
        Await.until("the closed one to end", () -> lb.stats().activeConnections() == 1, WAIT);
        Socket again = connect(lb);
        again.getOutputStream().write(ascii("y"));
        assertArrayEquals(ascii("y"), readExactly(again, 1));
    }
}
