package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class ExplainTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    private static Explanation.Choice choice(Explanation e, String backend) {
        for (Explanation.Choice c : e.candidates()) {
            if (c.backend().name().equals(backend)) {
                return c;
            }
        }
        throw new AssertionError(backend + " not in " + e);
    }

    @Test
    void shouldNameTheBackendTheNextConnectionGetsWithoutAdvancingRoundRobin() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start(); EchoServer c = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .backend(c.hostPort()).policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(1).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            for (int i = 0; i < 7; i++) {
                Explanation first = lb.explain(CLIENT);
                Explanation again = lb.explain(CLIENT);
                assertEquals(first, again, "asking twice changes nothing");
                assertEquals("round-robin", first.policy());
                assertEquals(3, first.candidates().size());
                assertEquals(List.of(true, false, false),
                        first.candidates().stream().map(Explanation.Choice::used).toList());
                assertEquals("fallback", first.candidates().get(1).reason());
                try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                    s.setSoTimeout(10_000);
                    ConnectionHandlesTest.roundTrip(s, 10);
                    List<Connection> open = lb.connections();
                    assertEquals(1, open.size());
                    assertEquals(first.chosen(), open.get(0).backend(), "explain named the backend used, turn " + i);
                }
                Await.until("connection closed", () -> lb.connections().isEmpty(), WAIT);
            }
        }
    }

    @Test
    void shouldNotAdvanceRoundRobinWhenAskedOverHttp() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start(); EchoServer c = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .backend(c.hostPort()).metricsAddress("127.0.0.1:0").policy(BalancingPolicy.roundRobin())
                     .probe(null).eventLoops(1).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            for (int turn = 0; turn < 4; turn++) {
                String first = MetricsEndpointTest.get(lb.metricsAddress(), "/explain?client=127.0.0.1:5000").body();
                for (int ask = 0; ask < 4; ask++) { // 4 asks: a cursor they advanced would end elsewhere
                    assertEquals(first, MetricsEndpointTest.get(lb.metricsAddress(),
                            "/explain?client=127.0.0.1:5000").body(), "asking again changes nothing");
                }
                String used = first.substring(first.indexOf("{\"backend\":\"") + 12);
                used = used.substring(0, used.indexOf('"'));
                assertTrue(first.contains("{\"backend\":\"" + used + "\",\"used\":true"), first);
                try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                    s.setSoTimeout(10_000);
                    ConnectionHandlesTest.roundTrip(s, 10);
                    assertEquals(used, lb.connections().get(0).backend().name(), "the next connection, turn " + turn);
                }
                Await.until("connection closed", () -> lb.connections().isEmpty(), WAIT);
            }
        }
    }

    @Test
    void shouldSayWhyEachSkippedBackendIsSkipped() throws Exception {
        String dead;
        try (java.net.ServerSocket closedPort = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = "127.0.0.1:" + closedPort.getLocalPort(); // nothing listens there once closed: its probe fails
        }
        try (EchoServer up = EchoServer.start(); EchoServer limited = EchoServer.start();
             EchoServer adminDown = EchoServer.start(); EchoServer drained = EchoServer.start()) {
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0")
                    .backend(Backend.parse(limited.hostPort()).withMaxConnections(1))
                    .backend(Backend.parse(adminDown.hostPort()).withAdminState(Backend.AdminState.DOWN))
                    .backend(dead).backend(drained.hostPort()).backend(up.hostPort())
                    .policy(BalancingPolicy.leastConnections()).probeTimeout(Duration.ofMillis(500))
                    .unhealthyThreshold(1).eventLoops(1).build()) {
                lb.start();
                InetSocketAddress front = lb.addresses().get(0);
                lb.drain(Backend.parse(drained.hostPort()), Duration.ofMillis(100)).toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                try (Socket first = new Socket(front.getAddress(), front.getPort())) {
                    first.setSoTimeout(10_000);
                    ConnectionHandlesTest.roundTrip(first, 10);
                    // least connections: the first went to one of the two usable backends
                    String firstBackend = lb.connections().get(0).backend().name();
                    if (!firstBackend.equals(limited.hostPort())) {
                        try (Socket second = new Socket(front.getAddress(), front.getPort())) {
                            second.setSoTimeout(10_000);
                            ConnectionHandlesTest.roundTrip(second, 10);
                            assertEquals(limited.hostPort(), lb.connections(Backend.parse(limited.hostPort()))
                                    .get(0).backend().name());
                            check(lb.explain(CLIENT), limited, adminDown, dead, drained, up);
                        }
                    } else {
                        check(lb.explain(CLIENT), limited, adminDown, dead, drained, up);
                    }
                }
            }
        }
    }

    private static void check(Explanation e, EchoServer limited, EchoServer adminDown, String dead,
                              EchoServer drained, EchoServer up) {
        assertEquals(5, e.candidates().size(), e.toString());
        assertEquals("connection-limit", choice(e, limited.hostPort()).reason(), e.toString());
        assertEquals("admin-down", choice(e, adminDown.hostPort()).reason(), e.toString());
        Explanation.Choice unhealthy = choice(e, dead);
        assertEquals("unhealthy", unhealthy.reason(), e.toString());
        assertTrue(unhealthy.detail().startsWith("down since "), unhealthy.detail());
        assertEquals("draining", choice(e, drained.hostPort()).reason(), e.toString());
        Explanation.Choice used = choice(e, up.hostPort());
        assertTrue(used.used(), e.toString());
        assertNull(used.reason());
        assertEquals(Backend.parse(up.hostPort()).name(), e.chosen().name());
    }

    @Test
    void shouldPutTheSlotOwnerFirstForAHashPolicyAndAgreeWithTheRealConnection() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start(); EchoServer c = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .backend(c.hostPort()).policy(BalancingPolicy.sourceIp()).probe(null).eventLoops(1).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            Explanation before = lb.explain(CLIENT);
            assertEquals("source-ip", before.policy());
            assertEquals("slot owner", before.candidates().get(0).detail());
            assertTrue(before.candidates().get(0).used());
            Backend owner = before.chosen();
            lb.drain(owner, Duration.ofMillis(100)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            Explanation after = lb.explain(CLIENT);
            assertEquals(owner, after.candidates().get(0).backend(), "the owner stays first");
            assertEquals("draining", after.candidates().get(0).reason());
            assertEquals(before.candidates().get(1).backend(), after.chosen(), "its flows take the next in order");
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                s.setSoTimeout(10_000);
                ConnectionHandlesTest.roundTrip(s, 10);
                assertEquals(after.chosen(), lb.connections().get(0).backend(), "the real connection agrees");
            }
        }
    }

    @Test
    void shouldServeExplainOnTheMetricsEndpointInTheContractShape() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort())
                     .backend(Backend.parse(b.hostPort()).withAdminState(Backend.AdminState.DOWN))
                     .metricsAddress("127.0.0.1:0").policy(BalancingPolicy.roundRobin()).probe(null).build()) {
            lb.start();
            MetricsEndpointTest.Response r = MetricsEndpointTest.get(lb.metricsAddress(),
                    "/explain?client=127.0.0.1:5000");
            assertEquals(200, r.status());
            assertEquals("application/json", r.headers().get("Content-Type"));
            assertEquals("{\"client\":\"127.0.0.1:5000\",\"policy\":\"round-robin\",\"candidates\":["
                    + "{\"backend\":\"" + a.hostPort() + "\",\"used\":true,\"reason\":null,\"detail\":null},"
                    + "{\"backend\":\"" + b.hostPort() + "\",\"used\":false,\"reason\":\"admin-down\","
                    + "\"detail\":null}]}", r.body());
            MetricsEndpointTest.Response v6 = MetricsEndpointTest.get(lb.metricsAddress(),
                    "/explain?client=%5B::1%5D:443");
            assertEquals(200, v6.status());
            assertTrue(v6.body().startsWith("{\"client\":\"[::1]:443\""), v6.body());
            assertEquals(400, MetricsEndpointTest.get(lb.metricsAddress(), "/explain?client=localhost:80").status());
            assertEquals(400, MetricsEndpointTest.get(lb.metricsAddress(), "/explain").status());
        }
    }

    /**
     * A backend whose connect rate is spent is passed by at connect (the relay's rule): explain says so,
     * and the next connection really goes to the next in the order. A token comes back 1 s after it was
     * taken, so a round counts only when it ran within that second; a slow round is run again.
     */
    @Test
    void shouldReportTheConnectRateSkipAsTheRelayAppliesIt() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start(); EchoServer c = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .backend(c.hostPort()).policy(BalancingPolicy.sourceIp()).probe(null).eventLoops(1)
                     .backendConnectRate(1).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            boolean checked = false;
            for (int round = 0; round < 10 && !checked; round++) {
                Await.until("connections closed and every token back", () -> lb.connections().isEmpty()
                        && lb.explain(CLIENT).candidates().stream().noneMatch(x -> "connect-rate".equals(x.reason())),
                        WAIT);
                Explanation before = lb.explain(CLIENT);
                Backend owner = before.candidates().get(0).backend();
                assertTrue(before.candidates().get(0).used(), before.toString());
                long startNs = System.nanoTime();
                try (Socket first = new Socket(front.getAddress(), front.getPort())) {
                    first.setSoTimeout(10_000);
                    ConnectionHandlesTest.roundTrip(first, 10);
                    assertEquals(owner, lb.connections().get(0).backend(), "the slot owner took the first");
                    Explanation spent = lb.explain(CLIENT);
                    if (System.nanoTime() - startNs >= 900_000_000L) {
                        continue; // the owner's token may be back already
                    }
                    Explanation.Choice skipped = spent.candidates().get(0);
                    assertEquals(owner, skipped.backend(), spent.toString());
                    assertFalse(skipped.used(), spent.toString());
                    assertEquals("connect-rate", skipped.reason(), spent.toString());
                    assertEquals("slot owner; connect rate 1/s spent", skipped.detail(), spent.toString());
                    Backend next = spent.chosen();
                    assertEquals(spent.candidates().get(1).backend(), next, "the next in the order: " + spent);
                    try (Socket second = new Socket(front.getAddress(), front.getPort())) {
                        second.setSoTimeout(10_000);
                        ConnectionHandlesTest.roundTrip(second, 10);
                        List<Connection> open = lb.connections(next);
                        if (System.nanoTime() - startNs >= 900_000_000L) {
                            continue; // the owner's token may have been back for the second
                        }
                        assertEquals(1, open.size(), "the real connection went where explain said: " + spent);
                        checked = true;
                    }
                }
            }
            assertTrue(checked, "no round ran within the second a token lasts");
        }
    }
}
