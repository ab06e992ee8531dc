package io.lb4j.benchmarks;

import io.lb4j.BalancingPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
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
 * The per-connection pick of each built-in policy: first choice plus two fallbacks (the default
 * three connect attempts), over 1,024 distinct IPv4 clients (IPv6 for {@code five-tuple-ipv6}).
 *
 * <p>Measured with {@code java -jar benchmarks/target/benchmarks.jar PolicyPick -f 1 -wi 2 -i 3 -w 1s -r 1s
 * -prof gc} (JDK 17) on a 2-core machine shared with other builds (load average about 20, so the
 * times are inflated several-fold and their error bars are as large as the values; compare on a quiet
 * machine). ns/op, and gc.alloc.rate.norm in B/op:
 * <pre>
 * policy                          10 backends        100 backends
 * round-robin                      76 ns   0 B        68 ns   0 B
 * weighted-round-robin             79 ns   0 B        65 ns   0 B     (precomputed cycle, lock-free)
 * weighted-round-robin-ramping    529 ns   0 B      3789 ns   0 B     (nginx step under a lock, O(n))
 * least-connections               315 ns   0 B      3760 ns   0 B     (O(n) scan per position written)
 * power-of-two                    174 ns   0 B       211 ns   0 B
 * five-tuple                      184 ns   0 B       191 ns   0 B
 * five-tuple-ipv6                 869 ns  32 B       815 ns  32 B     (InetAddress.getAddress() copies)
 * source-ip                       246 ns   0 B       125 ns   0 B
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicyPickBenchmark {

    @Param({"round-robin", "weighted-round-robin", "weighted-round-robin-ramping", "least-connections",
            "power-of-two", "five-tuple", "five-tuple-ipv6", "source-ip"})
    public String policy;

    @Param({"10", "100"})
    public int backends;

    private BalancingPolicy.Selection selection;
    private final Flow[] flows = new Flow[1024];
    private final int[] order = new int[3];
    private int next;

    record Flow(InetSocketAddress client, InetSocketAddress frontend) implements BalancingPolicy.Flow {
    }

    @Setup
    public void setUp() throws UnknownHostException {
        long upSince = Long.MIN_VALUE;
        BalancingPolicy p;
        switch (policy) {
            case "round-robin": p = BalancingPolicy.roundRobin(); break;
            case "weighted-round-robin": p = BalancingPolicy.weightedRoundRobin(); break;
            case "weighted-round-robin-ramping":
                // every backend inside its slow-start window: nginx's step per pick, under a lock
                p = BalancingPolicy.weightedRoundRobin().withSlowStart(Duration.ofHours(1));
                upSince = System.nanoTime();
                break;
            case "least-connections": p = BalancingPolicy.leastConnections(); break;
            case "power-of-two": p = BalancingPolicy.powerOfTwo(); break;
            case "five-tuple": case "five-tuple-ipv6": p = BalancingPolicy.fiveTuple(); break;
            case "source-ip": p = BalancingPolicy.sourceIp(); break;
            default: throw new IllegalArgumentException(policy);
        }
        selection = p.rebuild(BenchCandidate.pool(backends, upSince), null);
        InetSocketAddress frontend = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 443);
        for (int i = 0; i < flows.length; i++) {
            byte[] ip = policy.endsWith("ipv6")
                    ? new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) (i >> 8), (byte) i}
                    : new byte[] {100, 64, (byte) (i >> 8), (byte) i};
            flows[i] = new Flow(new InetSocketAddress(InetAddress.getByAddress(ip), 1024 + i * 31), frontend);
        }
    }

    @Benchmark
    public int pick() {
        Flow flow = flows[next++ & (flows.length - 1)];
        return selection.pick(flow, order) + order[0];
    }
}
