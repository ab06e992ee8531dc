package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.HttpTestServer;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two balancers in one JVM told apart by {@link Balancer.Builder#name}, the Prometheus text a host
 * serves itself ({@link Balancer#writePrometheus}), and probe figures by reason.
 */
@ExtendWith(FaultOracle.class)
class NamedBalancerTest {

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).collect(Collectors.toSet());
    }

    private static String prometheus(Balancer lb) throws Exception {
        StringBuilder text = new StringBuilder();
        lb.writePrometheus(text);
        return text.toString();
    }

    @Test
    void shouldNameThreadsMBeansAndEverySampleAfterTheBalancer() throws Exception {
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        try (EchoServer backend = EchoServer.start();
             Balancer edge = Balancer.builder().name("edge").listen("127.0.0.1:0").backend(backend.hostPort())
                     .eventLoops(1).metricsAddress("127.0.0.1:0").probeInterval(Duration.ofSeconds(30)).build();
             Balancer internal = Balancer.builder().name("internal.api").listen("127.0.0.1:0")
                     .backend(backend.hostPort()).eventLoops(1).build()) {
            edge.start();
            internal.start();
            Set<String> threads = threadNames();
            assertTrue(threads.containsAll(Set.of("lb4j-edge-loop-0", "lb4j-edge-control",
                    "lb4j-internal.api-loop-0", "lb4j-internal.api-control")), threads.toString());
            assertTrue(jmx.isRegistered(new ObjectName("io.lb4j:type=Balancer,name=\"edge\"")));
            assertTrue(jmx.isRegistered(new ObjectName("io.lb4j:type=Balancer,name=\"internal.api\"")));
            assertTrue(jmx.isRegistered(new ObjectName("io.lb4j:type=Backend,balancer=\"edge\",name="
                    + ObjectName.quote(backend.hostPort()))));

            String written = prometheus(edge);
            PrometheusParser.Exposition own = PrometheusParser.parse(written);
            PrometheusParser.Exposition served = PrometheusParser.parse(
                    MetricsEndpointTest.get(edge.metricsAddress(), "/metrics").body());
            assertEquals(served.samples().keySet(), own.samples().keySet(), "the same series as GET /metrics");
            for (String series : own.samples().keySet()) {
                assertTrue(series.contains("balancer=\"edge\""), series);
            }
            assertEquals(1.0, own.value("lb4j_backend_up{backend=\"" + backend.hostPort() + "\",balancer=\"edge\"}"));
            assertEquals(0.0, own.value("lb4j_active_connections{balancer=\"edge\"}"));
        }
        assertFalse(jmx.isRegistered(new ObjectName("io.lb4j:type=Balancer,name=\"edge\"")), "unregistered on close");
    }

    @Test
    void shouldAddNoBalancerLabelWithoutAName() throws Exception {
        try (EchoServer backend = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(backend.hostPort()).eventLoops(1)
                     .jmx(false).build()) {
            lb.start();
            String text = prometheus(lb);
            assertFalse(text.contains("balancer="), text);
            assertEquals(0.0, PrometheusParser.parse(text).value("lb4j_connections_total"));
            assertTrue(threadNames().contains("lb4j-loop-0"));
        }
    }

    @Test
    void shouldCountProbesAndTheirFailuresByReason() throws Exception {
        int closedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = gone.getLocalPort();
        }
        try (HttpTestServer ok = HttpTestServer.start(HttpTestServer.status(200));
             HttpTestServer unavailable = HttpTestServer.start(HttpTestServer.status(503));
             HttpTestServer silent = HttpTestServer.start(HttpTestServer.silent());
             HttpTestServer garbled = HttpTestServer.start(HttpTestServer.raw("HTTP/9 what\r\n\r\n"));
             Balancer lb = Balancer.builder().name("probed").listen("127.0.0.1:0").eventLoops(1).jmx(false)
                     .backend("127.0.0.1:" + ok.port()).backend("127.0.0.1:" + unavailable.port())
                     .backend("127.0.0.1:" + silent.port()).backend("127.0.0.1:" + garbled.port())
                     .backend("127.0.0.1:" + closedPort)
                     .probe(HealthProbe.http("/ready")).probeTimeout(Duration.ofMillis(500))
                     .probeInterval(Duration.ofSeconds(30)).build()) {
            lb.start(); // one probe each, answered or timed out
            Map<Integer, String> failedAs = Map.of(unavailable.port(), "status", silent.port(), "timeout",
                    garbled.port(), "protocol", closedPort, "connect");
            PrometheusParser.Exposition e = PrometheusParser.parse(prometheus(lb));
            for (BalancerStats.BackendStats b : lb.stats().backends()) {
                int port = b.backend().port();
                assertEquals(1, b.probes().checks(), b.toString());
                String expected = failedAs.get(port);
                for (String reason : BalancerStats.ProbeStats.FAILURE_REASONS) {
                    long count = reason.equals(expected) ? 1 : 0;
                    assertEquals(count, b.probes().failures().get(reason), port + " " + reason + ": " + b.reason());
                    assertEquals(count, e.value("lb4j_backend_probe_failures_total{backend=\"127.0.0.1:" + port
                            + "\",balancer=\"probed\",reason=\"" + reason + "\"}"), port + " " + reason);
                }
                assertEquals(1.0, e.value("lb4j_backend_probe_duration_seconds_count{backend=\"127.0.0.1:" + port
                        + "\",balancer=\"probed\"}"));
                double seconds = e.value("lb4j_backend_probe_duration_seconds_sum{backend=\"127.0.0.1:" + port
                        + "\",balancer=\"probed\"}");
                assertEquals(b.probes().totalNanos() / 1e9, seconds, 1e-9);
                if (port == silent.port()) {
                    assertTrue(seconds >= 0.5 && seconds < 2, "a timed-out probe counts its timeout: " + seconds);
                }
            }
        }
    }

    @Test
    void shouldCountACustomProbesOwnVerdictAsUnhealthyAndItsThrowAsError() throws Exception {
        try (EchoServer judged = EchoServer.start();
             EchoServer broken = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").eventLoops(1).jmx(false)
                     .backend(judged.hostPort()).backend(broken.hostPort()).probeInterval(Duration.ofSeconds(30))
                     .probe(HealthProbe.blockingCheck(t -> {
                         if (t.backend().name().equals(broken.hostPort())) {
                             throw new IllegalStateException("bug");
                         }
                         return ProbeResult.failed("replica lag 12 s");
                     })).build()) {
            lb.start();
            for (BalancerStats.BackendStats b : lb.stats().backends()) {
                String expected = b.backend().name().equals(judged.hostPort()) ? "unhealthy" : "error";
                assertEquals(1L, b.probes().failures().get(expected), b.toString());
                assertEquals(1L, b.probes().failures().values().stream().mapToLong(Long::longValue).sum());
            }
        }
    }

    @Test
    void shouldRejectABadNameNamingIt() {
        for (String bad : new String[] {"", "two words", "a/b", "x".repeat(65), "ümlaut"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Balancer.builder().name(bad));
            assertEquals("name: '" + bad + "' (expected: 1 to 64 letters, digits, '.', '_' or '-')", e.getMessage());
        }
    }
}
