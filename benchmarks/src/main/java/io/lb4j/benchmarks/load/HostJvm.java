package io.lb4j.benchmarks.load;

import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * lb4j embedded in a host-like JVM, for the {@code host-g1} setup of {@code benchmarks/compare.sh}: the
 * balancer is built through the public API with the same settings as {@code java -jar lb4j-core.jar
 * --threads N --probe none --policy round-robin}, while a host thread ({@code host-alloc}) allocates
 * garbage at a steady rate and keeps a live set of its own, the way a service's request handling and
 * caches do. Run it under the host's collector ({@code -XX:+UseG1GC -Xmx4g}); the figures of interest
 * are what the host's collections do to lb4j's latency, and lb4j's own CPU (the process's less the
 * {@code host-*} threads').
 *
 * <pre>
 * java -XX:+UseG1GC -Xmx4g -cp benchmarks.jar io.lb4j.benchmarks.load.HostJvm --listen 127.0.0.1:19001 \
 *      --backend 127.0.0.1:19101 --backend 127.0.0.1:19102 [--threads 1] [--alloc-mb 100] [--live-mb 300]
 * </pre>
 *
 * <p>The host's allocation: {@code byte[]} of 16 B to 2 KiB (mean about 1 KiB), paced in 10 ms slices to
 * {@code --alloc-mb} MB/s; one allocation in 32 replaces a random entry of a table sized so that the
 * table holds {@code --live-mb} MB, which is filled first. So most garbage dies young, and a steady
 * trickle dies middle-aged in the old generation, which makes G1 mark concurrently and run mixed
 * collections now and then, as a real host's caches and sessions do.
 */
public final class HostJvm implements AutoCloseable {
    /** Name prefix of the host's own threads, so their CPU can be told apart from lb4j's. */
    public static final String THREAD_PREFIX = "host-";
    private static final long SLICE_NS = 10_000_000L;
    private static final int RETAIN_ONE_IN = 32;
    private static final int MEAN_OBJECT_BYTES = 1032; // 16 + uniform(0, 2032)

    private final Balancer balancer;
    private final Thread allocator;
    private final AtomicLong allocatedBytes = new AtomicLong();
    private final CountDownLatch filled = new CountDownLatch(1);
    private volatile boolean running = true;

    private HostJvm(Balancer balancer, long allocBytesPerSecond, long liveBytes) {
        this.balancer = balancer;
        this.allocator = new Thread(() -> allocate(allocBytesPerSecond, liveBytes), THREAD_PREFIX + "alloc");
        this.allocator.setDaemon(true);
    }

    /**
     * Fills the host's live set, then starts the balancer and keeps allocating until {@link #close()}.
     *
     * @param listen frontend addresses ({@code HOST:PORT})
     * @param backends backend addresses ({@code HOST:PORT})
     * @param threads event loops
     * @param allocMbPerSecond the host thread's allocation rate, MB (10^6 bytes) per second; 0 = none
     * @param liveMb the host's live set, MB; 0 = none
     */
    public static HostJvm start(List<String> listen, List<String> backends, int threads, int allocMbPerSecond,
                                int liveMb) throws InterruptedException {
        Balancer.Builder builder = Balancer.builder().eventLoops(threads).probe(null)
                .policy(BalancingPolicy.roundRobin());
        listen.forEach(builder::listen);
        backends.forEach(builder::backend);
        HostJvm host = new HostJvm(builder.build(), allocMbPerSecond * 1_000_000L, liveMb * 1_000_000L);
        host.allocator.start();
        host.filled.await(); // the live set is in place before the first client arrives
        host.balancer.start();
        return host;
    }

    /** The balancer running in this host. */
    public Balancer balancer() {
        return balancer;
    }

    /** Bytes the host thread has allocated so far. */
    public long allocatedBytes() {
        return allocatedBytes.get();
    }

    /** Whether the host thread still runs. */
    public boolean allocating() {
        return allocator.isAlive();
    }

    /** Drains and closes the balancer, then stops the host thread. */
    @Override
    public void close() {
        try {
            balancer.close();
        } finally {
            running = false;
            LockSupport.unpark(allocator);
            try {
                allocator.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void allocate(long bytesPerSecond, long liveBytes) {
        SplittableRandom random = new SplittableRandom(19);
        Object[] live = new Object[(int) Math.max(1, liveBytes / MEAN_OBJECT_BYTES)];
        if (liveBytes > 0) {
            for (int i = 0; i < live.length; i++) {
                live[i] = new byte[16 + random.nextInt(2033)];
            }
        }
        filled.countDown();
        long perSlice = bytesPerSecond * SLICE_NS / 1_000_000_000L;
        long next = System.nanoTime();
        long sink = 0;
        while (running && perSlice > 0) {
            long done = 0;
            while (done < perSlice) {
                byte[] garbage = new byte[16 + random.nextInt(2033)];
                garbage[0] = (byte) done; // touched, as real data would be
                sink += garbage[garbage.length - 1];
                done += garbage.length + 16;
                if (liveBytes > 0 && random.nextInt(RETAIN_ONE_IN) == 0) {
                    live[random.nextInt(live.length)] = garbage;
                }
            }
            allocatedBytes.addAndGet(done);
            next += SLICE_NS;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait); // pacing the host's load, not synchronisation
            } else if (wait < -1_000_000_000L) {
                next = System.nanoTime(); // fell a second behind (a long pause): do not burst to catch up
            }
        }
        if (sink == 42) {
            System.out.print(""); // keeps the touched bytes observable to the JIT
        }
    }

    /**
     * Runs until SIGTERM or SIGINT; options as in the class comment. Prints the CLI's ready line.
     *
     * @param args the options
     */
    public static void main(String[] args) throws InterruptedException {
        List<String> listen = new ArrayList<>();
        List<String> backends = new ArrayList<>();
        int threads = 1;
        int allocMb = 100;
        int liveMb = 300;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + ": value missing");
            }
            String value = args[++i];
            switch (option) {
                case "--listen":
                    listen.add(value);
                    break;
                case "--backend":
                    backends.add(value);
                    break;
                case "--threads":
                    threads = Integer.parseInt(value);
                    break;
                case "--alloc-mb":
                    allocMb = Integer.parseInt(value);
                    break;
                case "--live-mb":
                    liveMb = Integer.parseInt(value);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + option);
            }
        }
        HostJvm host = start(listen, backends, threads, allocMb, liveMb);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            host.close();
        }, THREAD_PREFIX + "shutdown"));
        StringBuilder ready = new StringBuilder("lb4j listening on");
        for (InetSocketAddress address : host.balancer().addresses()) {
            ready.append(' ').append(address.getHostString()).append(':').append(address.getPort());
        }
        System.out.println(ready + " (host: " + allocMb + " MB/s allocated, " + liveMb + " MB live)");
        stop.await();
    }
}
