package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.HealthProbe;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Micrometer binder against a real balancer, read through Micrometer's own SimpleMeterRegistry. */
@ExtendWith(FaultOracle.class)
class MicrometerExampleTest {

    @Test
    void shouldCountTheBytesTheExampleSentThroughTheBalancer() {
        double bytes = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> MicrometerExample.run(new SimpleMeterRegistry()));
        assertEquals(3 * "hello\n".length(), bytes);
    }

    @Test
    void shouldShowTheBalancersFiguresAndFollowBackendsJoiningAndLeaving() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            String refused;
            try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                refused = "127.0.0.1:" + gone.getLocalPort(); // nothing listens there: its probe fails with "connect"
            }
            try (ServerSocket one = MicrometerExample.echo(); ServerSocket two = MicrometerExample.echo()) {
                String a = "127.0.0.1:" + one.getLocalPort();
                String b = "127.0.0.1:" + two.getLocalPort();
                BackendRegistry.Dynamic pool = BackendRegistry.dynamic();
                pool.add(Backend.parse(a));
                pool.add(Backend.parse(refused));
                try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(pool).eventLoops(1)
                        .probe(HealthProbe.tcp()).probeInterval(Duration.ofSeconds(30)).jmx(false).build()) {
                    lb.start();
                    MicrometerExample.Lb4jMetrics metrics =
                            new MicrometerExample.Lb4jMetrics(lb, Tags.of("balancer", "test"), Duration.ZERO);
                    metrics.bindTo(registry);
                    for (int i = 0; i < 2; i++) {
                        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), lb.addresses().get(0).getPort())) {
                            client.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
                            assertEquals(5, client.getInputStream().readNBytes(5).length);
                        }
                    }
                    BalancerStats stats = lb.stats();
                    assertEquals(2.0, registry.get("lb4j.connections").tag("balancer", "test").functionCounter().count());
                    assertEquals((double) stats.totalConnections(),
                            registry.get("lb4j.connections").functionCounter().count());
                    assertEquals(1.0, registry.get("lb4j.backend.up").tag("backend", a).gauge().value());
                    assertEquals(0.0, registry.get("lb4j.backend.up").tag("backend", refused).gauge().value());
                    assertEquals(2.0, registry.get("lb4j.backend.connections").tag("backend", a).functionCounter().count());
                    assertEquals(10.0, registry.get("lb4j.backend.bytes").tag("backend", a)
                            .tag("direction", "to_client").functionCounter().count());
                    assertEquals("bytes", registry.get("lb4j.backend.bytes").tag("backend", a)
                            .tag("direction", "to_backend").functionCounter().getId().getBaseUnit());
                    FunctionTimer probes = registry.get("lb4j.backend.probe").tag("backend", refused).functionTimer();
                    assertEquals(1.0, probes.count());
                    assertTrue(probes.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS) > 0);
                    assertEquals(1.0, registry.get("lb4j.backend.probe.failures").tag("backend", refused)
                            .tag("reason", "connect").functionCounter().count());
                    assertEquals(0.0, registry.get("lb4j.backend.probe.failures").tag("backend", a)
                            .tag("reason", "connect").functionCounter().count());

                    pool.add(Backend.parse(b));
                    pool.remove(refused);
                    // one snapshot: the two changes are applied one after the other
                    Await.until("the pool to change", () -> lb.stats().backends().stream().map(s -> s.backend().name())
                            .collect(java.util.stream.Collectors.toSet()).equals(java.util.Set.of(a, b)),
                            Duration.ofSeconds(10));
                    metrics.refresh();
                    assertEquals(0.0, registry.get("lb4j.backend.connections").tag("backend", b).functionCounter().count());
                    assertNull(registry.find("lb4j.backend.up").tag("backend", refused).gauge(), () -> "the departed backend's meters are gone: stats "
                            + lb.stats().backends().stream().map(s -> s.backend().name()).toList() + ", meters "
                            + registry.find("lb4j.backend.up").gauges().stream().map(g -> g.getId().getTag("backend")).toList());
                    assertEquals(2, registry.find("lb4j.backend.up").gauges().size());
                    for (FunctionCounter c : registry.find("lb4j.backend.probe.failures").tag("backend", b).functionCounters()) {
                        assertEquals(0.0, c.count(), c.getId().toString());
                    }
                }
            }
        });
    }
}
