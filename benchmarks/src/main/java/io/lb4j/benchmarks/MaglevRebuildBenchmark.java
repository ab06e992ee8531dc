package io.lb4j.benchmarks;

import io.lb4j.BalancingPolicy;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Building the Maglev table of {@code five-tuple} (65,537 slots, weights 1-5) from scratch, as a
 * change of the configured set does; a health-only change reuses the table and costs only the sort
 * of the candidates ({@code healthOnly}).
 *
 * <p>Measured with {@code java -jar benchmarks/target/benchmarks.jar MaglevRebuild -f 1 -wi 2 -i 3 -w 1s
 * -r 1s -prof gc} on a 2-core machine at load average about 20 (inflated, error bars as large as the
 * values):
 * <pre>
 * backends   rebuild (table from scratch)    healthOnly (table reused)
 *   10       16 ms, 265 KB                    59 us,   1.7 KB
 *  100       11 ms, 302 KB                   886 us,  33 KB
 * 1000       31 ms, 665 KB                    10 ms, 327 KB
 * </pre>
 * Done on the control thread, never on an event loop; the 256 KiB of a table is its int slots.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MaglevRebuildBenchmark {

    @Param({"10", "100", "1000"})
    public int backends;

    private List<BalancingPolicy.Candidate> candidates;
    private BalancingPolicy policy;
    private BalancingPolicy.Selection built;

    @Setup
    public void setUp() {
        candidates = BenchCandidate.pool(backends, Long.MIN_VALUE);
        policy = BalancingPolicy.fiveTuple();
        built = policy.rebuild(candidates, null);
    }

    @Benchmark
    public BalancingPolicy.Selection rebuild() {
        return policy.rebuild(candidates, null);
    }

    @Benchmark
    public BalancingPolicy.Selection healthOnly() {
        return policy.rebuild(candidates, built);
    }
}
