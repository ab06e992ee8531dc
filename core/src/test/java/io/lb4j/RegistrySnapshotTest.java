package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.ExpectFaults;
import io.lb4j.testing.FaultOracle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A backend given twice is a configuration error found before the balancer runs, never an empty pool
 * behind a ready balancer; a registry's invalid snapshot at run time is refused whole and the last
 * good set stays.
 */
@ExtendWith(FaultOracle.class) // also: a failed start leaves no thread or socket behind
class RegistrySnapshotTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A registry the test pushes snapshots through. */
    private static final class Pushed implements BackendRegistry {
        final AtomicReference<Consumer<List<Backend>>> sink = new AtomicReference<>();
        final List<Backend> first;

        Pushed(List<Backend> first) {
            this.first = first;
        }

        @Override
        public void start(Consumer<List<Backend>> snapshotSink) {
            sink.set(snapshotSink);
            snapshotSink.accept(first);
        }
    }

    @Test
    void shouldRefuseABackendGivenTwiceAtBuild() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Balancer.builder()
                .listen("127.0.0.1:0").backend("127.0.0.1:9000").backend("127.0.0.1:9000").build());
        assertEquals("backend: '127.0.0.1:9000' given twice (expected: each backend once)", e.getMessage());
    }

    @Test
    void shouldFailStartWhenTheFirstSnapshotIsInvalid() {
        Backend twice = Backend.parse("127.0.0.1:9000");
        Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(new Pushed(List.of(twice, twice)))
                .probe(null).build();
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, lb::start);
            assertEquals("registry: first snapshot refused: backends: '127.0.0.1:9000' given twice", e.getMessage());
        } finally {
            lb.close();
        }
    }

    @Test
    @ExpectFaults("registry snapshot")
    void shouldRefuseAnInvalidSnapshotWholeAndKeepTheLastGoodSet() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            Backend first = Backend.parse(a.hostPort());
            Pushed registry = new Pushed(List.of(first));
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(registry).probe(null).build()) {
                lb.start();
                Backend second = Backend.parse(b.hostPort());
                registry.sink.get().accept(List.of(second, first, second));
                Await.until("the refusal counted", () -> lb.stats().faults() == 1, WAIT);
                List<BalancerStats.BackendStats> members = lb.stats().backends();
                assertEquals(1, members.size(), "the last good set stays: " + members);
                assertEquals(a.hostPort(), members.get(0).backend().name());
                registry.sink.get().accept(List.of(first, second));
                Await.until("a valid snapshot applies again", () -> lb.stats().backends().size() == 2, WAIT);
                assertTrue(lb.stats().backends().stream().allMatch(m -> m.state() == HealthState.UP));
            }
        }
    }
}
