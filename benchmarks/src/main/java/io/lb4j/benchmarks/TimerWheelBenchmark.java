package io.lb4j.benchmarks;

import io.lb4j.internal.loop.Timer;
import io.lb4j.internal.loop.TimerWheel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The event loop's timer wheel: what a connection pair pays to arm, re-arm and cancel its one timer
 * (connect, then idle timeout), and what the loop pays per timer that expires, including its walk
 * past the timers of idle pairs that share the slot. 10 ms ticks, 1024
 * slots and 10,000 armed pairs spread over a 4-minute idle timeout, as in the runner's defaults.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TimerWheel -prof gc}; every benchmark
 * should show {@code gc.alloc.rate.norm} of about 0 B/op (a pair is its own timer node).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TimerWheelBenchmark {
    private static final long TICK_NS = 10_000_000L;
    private static final long IDLE_NS = 240_000_000_000L;
    private static final int ARMED = 10_000;
    private static final int BATCH = 1000;

    /** A timer that counts its expiries, like a pair that closes on idle timeout. */
    static final class CountingTimer extends Timer {
        long fired;

        @Override
        protected void expired(long nowNs) {
            fired++;
        }
    }

    /** An active pair's idle timer: on expiry it re-arms from its last activity, as ConnectionPair does. */
    final class LazyIdleTimer extends Timer {
        @Override
        protected void expired(long now) {
            wheel.schedule(this, now + IDLE_NS);
        }
    }

    private TimerWheel wheel;
    private LazyIdleTimer[] background;
    private CountingTimer probe;
    private CountingTimer[] batch;
    private long nowNs;
    private int next;

    @Setup(Level.Iteration)
    public void setUp() {
        nowNs = 0;
        wheel = new TimerWheel(TICK_NS, 1024, nowNs);
        background = new LazyIdleTimer[ARMED];
        for (int i = 0; i < ARMED; i++) {
            background[i] = new LazyIdleTimer();
            wheel.schedule(background[i], IDLE_NS + i * 24_000_000L);
        }
        probe = new CountingTimer();
        batch = new CountingTimer[BATCH];
        for (int i = 0; i < BATCH; i++) {
            batch[i] = new CountingTimer();
        }
    }

    /** A pair's activity pushing its idle deadline later: unlink and link into another slot. */
    @Benchmark
    public int rearm() {
        next++;
        wheel.schedule(probe, nowNs + IDLE_NS + (next & 1023) * TICK_NS);
        return wheel.size();
    }

    /** A connect timeout armed and then cancelled because the connect succeeded. */
    @Benchmark
    public int armAndCancel() {
        wheel.schedule(probe, nowNs + 3_000_000_000L);
        wheel.cancel(probe);
        return wheel.size();
    }

    /** 1000 timers due in the next tick, then one tick of the clock that expires them all: per timer. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int armAndExpire() {
        for (CountingTimer t : batch) {
            wheel.schedule(t, nowNs + TICK_NS);
        }
        nowNs += TICK_NS;
        return wheel.expire(nowNs);
    }
}
