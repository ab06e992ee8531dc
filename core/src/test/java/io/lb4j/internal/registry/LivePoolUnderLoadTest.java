package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import io.lb4j.HealthState;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class LivePoolUnderLoadTest {

    /** The dynamic registry as the engine sees it: every snapshot it pushed, in order. */
    static final class Recorded implements BackendRegistry {
        final BackendRegistry.Dynamic inner;
        final List<List<Backend>> history = new CopyOnWriteArrayList<>();

        Recorded(BackendRegistry.Dynamic inner) {
            this.inner = inner;
        }

        @Override
        public void start(Consumer<List<Backend>> sink) {
            inner.start(snapshot -> {
                history.add(snapshot); // under the registry's lock: same order as the sink sees
                sink.accept(snapshot);
            });
        }
    }

    private static boolean eligible(List<Backend> snapshot, String name) {
        for (Backend b : snapshot) {
            if (b.name().equals(name) && b.adminState() == Backend.AdminState.UP) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldLoseNoConnectionAndRouteOnlyToEligibleBackendsUnderConcurrentChanges() throws Exception {
        long seed = System.nanoTime();
        List<NamedServer> servers = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(5);
        Balancer lb = null;
        try {
            for (int i = 0; i < 5; i++) {
                servers.add(new NamedServer());
            }
            // a sentinel on a port nothing listens on, kept draining: its weight marks each round's last change
            Backend sentinel = Backend.of("127.0.0.1", 1).withAdminState(Backend.AdminState.DRAIN);
            BackendRegistry.Dynamic dynamic = BackendRegistry.dynamic(List.of(sentinel,
                    Backend.parse(servers.get(0).name()), Backend.parse(servers.get(1).name())));
            Recorded registry = new Recorded(dynamic);
            lb = Balancer.builder().listen("127.0.0.1:0").registry(registry).policy(BalancingPolicy.roundRobin())
                    .probe(HealthProbe.tcp()).probeInterval(Duration.ofMillis(200)).eventLoops(2)
                    .drainTimeout(Duration.ZERO).build();
            lb.start();
            InetSocketAddress address = lb.addresses().get(0);
            Balancer balancer = lb;

            AtomicInteger confirmed = new AtomicInteger(0); // history index applied for sure
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger connections = new AtomicInteger();
            List<Future<?>> traffic = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int id = t;
                traffic.add(threads.submit(() -> {
                    int n = 0;
                    while (!stop.get()) {
                        int from = confirmed.get();
                        String payload = "t" + id + "-" + (n++) + "-" + "x".repeat(n % 200);
                        try (LivePoolTest.Client c = new LivePoolTest.Client(address)) {
                            if (!c.echoes(payload)) {
                                failures.add("lost or corrupted on " + c.backend);
                            }
                            int to = registry.history.size();
                            boolean ok = false;
                            for (int k = from; k < to && !ok; k++) {
                                ok = eligible(registry.history.get(k), c.backend);
                            }
                            if (!ok) {
                                failures.add(c.backend + " not eligible in snapshots " + from + ".." + (to - 1));
                            }
                            connections.incrementAndGet();
                        } catch (java.io.IOException e) {
                            // the first server is always a usable member: no connection may fail
                            failures.add("connection failed: " + e);
                        }
                    }
                }));
            }

            for (int round = 1; round <= 12; round++) {
                int flowed = connections.get();
                Await.until("traffic flows", () -> connections.get() >= flowed + 3 || !failures.isEmpty(),
                        Duration.ofSeconds(5));
                List<Future<?>> mutators = new ArrayList<>();
                for (int m = 0; m < 3; m++) {
                    Random random = new Random(seed + round * 31L + m);
                    mutators.add(threads.submit(() -> {
                        for (int op = 0; op < 6; op++) {
                            // servers 1-4 come and go; server 0 stays an up member throughout
                            String name = servers.get(1 + random.nextInt(servers.size() - 1)).name();
                            switch (random.nextInt(4)) {
                                case 0: dynamic.add(Backend.parse(name).withWeight(1 + random.nextInt(3))); break;
                                case 1: dynamic.remove(name); break;
                                case 2: try { dynamic.setWeight(name, 1 + random.nextInt(5)); }
                                        catch (IllegalArgumentException notMember) { /* removed meanwhile */ } break;
                                default: try { dynamic.setAdminState(name, random.nextBoolean()
                                                ? Backend.AdminState.UP : Backend.AdminState.DRAIN); }
                                        catch (IllegalArgumentException notMember) { /* removed meanwhile */ }
                            }
                        }
                    }));
                }
                for (Future<?> f : mutators) {
                    f.get(10, TimeUnit.SECONDS);
                }
                int weight = round + 1; // the sentinel starts at weight 1: every round's mark is new
                dynamic.setWeight(sentinel.name(), weight);
                int mark = registry.history.size() - 1;
                Await.until("round applied", () -> sentinelWeight(balancer.stats(), sentinel.name()) == weight,
                        Duration.ofSeconds(5));
                confirmed.set(mark);
            }
            stop.set(true);
            for (Future<?> f : traffic) {
                f.get(20, TimeUnit.SECONDS);
            }
            assertEquals(List.of(), new ArrayList<>(failures), "seed " + seed);
            assertTrue(connections.get() >= 20, "only " + connections.get() + " connections flowed (seed " + seed + ")");
        } finally {
            threads.shutdownNow();
            if (lb != null) {
                lb.closeNow();
            }
            for (NamedServer s : servers) {
                s.close();
            }
        }
    }

    private static int sentinelWeight(BalancerStats stats, String name) {
        for (BalancerStats.BackendStats s : stats.backends()) {
            if (s.backend().name().equals(name)) {
                return s.backend().weight();
            }
        }
        return -1;
    }

    @Test
    void shouldSendNewConnectionsToABackendAddedUnderAThousandOpenConnectionsWithinOneProbeInterval() throws Exception {
        Duration interval = Duration.ofSeconds(1);
        List<LivePoolTest.Client> open = new ArrayList<>();
        try (NamedServer a = new NamedServer(); NamedServer b = new NamedServer()) {
            BackendRegistry.Dynamic registry = BackendRegistry.dynamic(List.of(Backend.parse(a.name())));
            Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(registry)
                    .policy(BalancingPolicy.roundRobin()).probe(HealthProbe.tcp()).probeInterval(interval)
                    .eventLoops(2).drainTimeout(Duration.ZERO).build();
            try {
                lb.start();
                InetSocketAddress address = lb.addresses().get(0);
                for (int i = 0; i < 1_000; i++) {
                    try {
                        open.add(new LivePoolTest.Client(address)); // about 4,000 descriptors in all
                    } catch (java.io.IOException e) {
                        throw new AssertionError("connection " + i + ": " + e.getMessage() + "; " + lb.stats(), e);
                    }
                }
                Await.until(() -> a.open() + " open on the first backend", () -> a.open() == 1_000,
                        Duration.ofSeconds(5));
                long addedNs = System.nanoTime();
                registry.add(Backend.parse(b.name()));
                String reached = Await.value("a connection to the new backend", () -> {
                    try (LivePoolTest.Client c = new LivePoolTest.Client(address)) {
                        return c.backend;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, b.name()::equals, interval.multipliedBy(2));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - addedNs);
                assertEquals(b.name(), reached, "the new backend got no connection");
                assertTrue(ms <= interval.toMillis(), "first connection to the new backend after " + ms + " ms");
                assertTrue(lb.stats().backends().stream().allMatch(s -> s.state() == HealthState.UP));
                for (int i = 0; i < open.size(); i += 100) {
                    assertTrue(open.get(i).echoes("still open"), "open connection " + i);
                }
            } finally {
                for (LivePoolTest.Client c : open) {
                    c.close();
                }
                lb.closeNow();
            }
        }
    }
}
