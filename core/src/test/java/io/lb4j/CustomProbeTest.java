package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.TagServer;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Custom probes that see their {@link HealthProbe.Target} and give reasons, and {@link Balancer#close(Duration)}:
 * through a real balancer and real backends on loopback.
 */
@ExtendWith(FaultOracle.class)
class CustomProbeTest {

    private static Map<Integer, String> states(Balancer lb) {
        Map<Integer, String> states = new TreeMap<>();
        for (BalancerStats.BackendStats s : lb.stats().backends()) {
            states.put(s.backend().port(), s.state() + " " + s.reason());
        }
        return states;
    }

    @Test
    void shouldGiveABlockingCheckTheProbePortTheTimeoutAndTheProxySettingAndKeepItsReason() throws Exception {
        Map<String, HealthProbe.Target> seen = new ConcurrentHashMap<>();
        try (TagServer traffic = TagServer.start('a');
             TagServer health = TagServer.start('h');
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").eventLoops(1)
                     .backend(traffic.hostPort()).probePort(health.port()).proxyProtocol(ProxyProtocol.V2)
                     .probeTimeout(Duration.ofMillis(1_500)).probeInterval(Duration.ofSeconds(30))
                     .probe(HealthProbe.blockingCheck(target -> {
                         seen.put(target.backend().name(), target);
                         return ProbeResult.failed("replica lag 12 s");
                     })).build()) {
            lb.start();
            HealthProbe.Target target = seen.get(traffic.hostPort());
            assertEquals(health.port(), target.address().getPort(), "the probe port, not the traffic port");
            assertEquals(Duration.ofMillis(1_500), target.timeout());
            assertEquals(ProxyProtocol.V2, target.proxyProtocol());
            assertEquals(Map.of(traffic.port(), "DOWN probe: replica lag 12 s"), states(lb));
        }
    }

    @Test
    void shouldTakeAnAsyncChecksResultAndFailANullAThrowAndAnExceptionalStage() throws Exception {
        try (TagServer ok = TagServer.start('o');
             TagServer warming = TagServer.start('w');
             TagServer empty = TagServer.start('e');
             TagServer throwing = TagServer.start('t');
             TagServer failing = TagServer.start('f')) {
            Map<Integer, Function<HealthProbe.Target, java.util.concurrent.CompletionStage<ProbeResult>>> checks = Map.of(
                    ok.port(), t -> CompletableFuture.completedFuture(ProbeResult.ok()),
                    warming.port(), t -> CompletableFuture.supplyAsync(() -> ProbeResult.failed("warming up")),
                    empty.port(), t -> CompletableFuture.completedFuture(null),
                    throwing.port(), t -> {
                        throw new IllegalStateException("bug in the probe");
                    },
                    failing.port(), t -> CompletableFuture.failedFuture(new java.io.IOException("no route")));
            Balancer.Builder builder = Balancer.builder().listen("127.0.0.1:0").eventLoops(1)
                    .probeInterval(Duration.ofSeconds(30))
                    .probe(HealthProbe.asyncCheck(t -> checks.get(t.address().getPort()).apply(t)));
            for (TagServer s : new TagServer[] {ok, warming, empty, throwing, failing}) {
                builder.backend(s.hostPort());
            }
            try (Balancer lb = builder.build()) {
                lb.start();
                Map<Integer, String> expected = new TreeMap<>(Map.of(
                        ok.port(), "UP probe: ok",
                        warming.port(), "DOWN probe: warming up",
                        empty.port(), "DOWN probe: probe returned no result",
                        throwing.port(), "DOWN probe: probe threw IllegalStateException",
                        failing.port(), "DOWN probe: probe failed: no route"));
                assertEquals(expected, states(lb));
            }
        }
    }

    @Test
    void shouldCloseWithinTheGivenTimeWhateverTheDrainTimeout() throws Exception {
        try (TagServer backend = TagServer.start('a');
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").eventLoops(1).backend(backend.hostPort())
                     .drainTimeout(Duration.ofSeconds(30)).build();
             Socket client = new Socket()) {
            lb.start();
            client.connect(lb.addresses().get(0), 2_000);
            client.setSoTimeout(10_000);
            assertEquals('a', client.getInputStream().read());
            Await.until("the pair to be open", () -> lb.stats().activeConnections() == 1, Duration.ofSeconds(5));
            long startNs = System.nanoTime();
            lb.close(Duration.ofMillis(300));
            long tookMs = (System.nanoTime() - startNs) / 1_000_000;
            assertTrue(tookMs >= 250 && tookMs < 5_000, "close(300ms) took " + tookMs + " ms");
            assertEquals(-1, client.getInputStream().read(), "the open connection is closed at the end");
            Await.until("the backend side to close", () -> backend.open() == 0, Duration.ofSeconds(5));
        }
    }

    @Test
    void shouldRejectANegativeCloseTimeoutNamingIt() throws Exception {
        try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:1").build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> lb.close(Duration.ofSeconds(-1)));
            assertEquals("close: -1s (expected: >= 0)", e.getMessage());
        }
    }
}
