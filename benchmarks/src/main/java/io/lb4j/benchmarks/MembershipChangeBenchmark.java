package io.lb4j.benchmarks;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long one membership change takes to apply in a running balancer with {@code backends}
 * members: from a {@link BackendRegistry.Dynamic} call to the new selection being published (the
 * registry's snapshot, the control thread's diff by name, the policy's rebuild). One operation
 * changes one backend's weight and waits until the policy has rebuilt; the policy is the default
 * {@code five-tuple} (or round robin), wrapped only to count rebuilds. No probes, so nothing else
 * rebuilds.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar MembershipChange}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MembershipChangeBenchmark {

    @Param({"1000"})
    public int backends;

    @Param({"five-tuple", "round-robin"})
    public String policy;

    private final AtomicLong rebuilds = new AtomicLong();
    private BackendRegistry.Dynamic registry;
    private Balancer balancer;
    private List<String> names;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        List<Backend> members = new ArrayList<>();
        names = new ArrayList<>();
        for (int i = 0; i < backends; i++) {
            Backend b = Backend.of("10.0." + (i / 250) + "." + (i % 250 + 1), 8080);
            members.add(b);
            names.add(b.name());
        }
        registry = BackendRegistry.dynamic(members);
        BalancingPolicy inner = policy.equals("round-robin") ? BalancingPolicy.roundRobin() : BalancingPolicy.fiveTuple();
        BalancingPolicy counting = new BalancingPolicy() {
            @Override
            public String name() {
                return inner.name();
            }

            @Override
            public Selection rebuild(List<Candidate> candidates, Selection previous) {
                Selection s = inner.rebuild(candidates, previous);
                rebuilds.incrementAndGet();
                return s;
            }
        };
        balancer = Balancer.builder().listen("127.0.0.1:0").registry(registry).policy(counting).probe(null)
                .eventLoops(1).drainTimeout(Duration.ZERO).build();
        balancer.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        balancer.closeNow();
    }

    /**
     * The same change applied synchronously on the calling thread (the control thread's work alone,
     * without the hand-offs between threads): {@code Pool.apply} with one weight changed.
     */
    @State(Scope.Benchmark)
    public static class Direct {
        @Param({"1000"})
        public int backends;

        @Param({"five-tuple", "round-robin"})
        public String policy;

        io.lb4j.internal.pool.Pool pool;
        List<List<Backend>> versions = new ArrayList<>();
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            List<Backend> members = new ArrayList<>();
            for (int i = 0; i < backends; i++) {
                members.add(Backend.of("10.0." + (i / 250) + "." + (i % 250 + 1), 8080));
            }
            for (int v = 0; v < 16; v++) {
                List<Backend> version = new ArrayList<>(members);
                int changed = (v * 61) % backends;
                version.set(changed, version.get(changed).withWeight(v % 2 + 1));
                versions.add(List.copyOf(version));
            }
            pool = new io.lb4j.internal.pool.Pool(policy.equals("round-robin") ? BalancingPolicy.roundRobin()
                    : BalancingPolicy.fiveTuple(), 1, false, new io.lb4j.internal.Faults());
            pool.apply(members);
        }
    }

    @Benchmark
    public io.lb4j.internal.pool.Pool.Change applyOnly(Direct direct) {
        return direct.pool.apply(direct.versions.get(direct.next++ & 15));
    }

    @Benchmark
    public long changeOneWeight() {
        long before = rebuilds.get();
        String name = names.get(next++ % names.size());
        registry.setWeight(name, (next & 1) + 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (rebuilds.get() == before) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("change not applied within 10 s");
            }
            Thread.onSpinWait();
        }
        return rebuilds.get();
    }
}
