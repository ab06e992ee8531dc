package io.lb4j.internal.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

class TimerWheelProperties {
    private static final long TICK = 10;

    private static final class Probe extends Timer {
        long firedAt = -1;
        int fired;

        @Override
        protected void expired(long nowNs) {
            firedAt = nowNs;
            fired++;
        }
    }

    @Property(tries = 300)
    void everyTimerFiresOnceNotBeforeItsDeadlineAndAtMostOneTickAfter(
            @ForAll @Size(min = 1, max = 200) List<@LongRange(min = 1, max = 50_000) Long> delays,
            @ForAll @IntRange(min = 1, max = 25) int step,
            @ForAll @LongRange(min = 0, max = 1_000_000) long origin) {
        TimerWheel wheel = new TimerWheel(TICK, 64, origin);
        List<Probe> probes = new ArrayList<>();
        for (long d : delays) {
            Probe p = new Probe();
            wheel.schedule(p, origin + d);
            probes.add(p);
        }
        long now = origin;
        long end = origin + 50_000 + 2 * TICK + step;
        while (now < end) {
            now += step;
            wheel.expire(now);
        }
        for (int i = 0; i < probes.size(); i++) {
            Probe p = probes.get(i);
            long deadline = origin + delays.get(i);
            assertEquals(1, p.fired, "fires exactly once");
            assertTrue(p.firedAt >= deadline, "not before its deadline");
            assertTrue(p.firedAt < deadline + TICK + step, "at most one tick (plus the caller's step) late");
        }
        assertEquals(0, wheel.size());
    }

    @Property(tries = 200)
    void cancelledTimersNeverFireAndRearmedOnesFireAtTheirNewDeadline(
            @ForAll @Size(min = 1, max = 100) List<@LongRange(min = 1, max = 5_000) Long> delays) {
        TimerWheel wheel = new TimerWheel(TICK, 16, 0);
        List<Probe> probes = new ArrayList<>();
        for (long d : delays) {
            Probe p = new Probe();
            wheel.schedule(p, d);
            probes.add(p);
        }
        for (int i = 0; i < probes.size(); i += 2) {
            wheel.cancel(probes.get(i));
        }
        for (int i = 1; i < probes.size(); i += 2) {
            wheel.schedule(probes.get(i), delays.get(i) + 7_000);
        }
        for (long now = 0; now <= 13_000; now += TICK) {
            wheel.expire(now);
        }
        for (int i = 0; i < probes.size(); i++) {
            Probe p = probes.get(i);
            if (i % 2 == 0) {
                assertEquals(0, p.fired, "cancelled");
            } else {
                assertEquals(1, p.fired);
                assertTrue(p.firedAt >= delays.get(i) + 7_000);
            }
        }
    }

    private static long roundUp(long t) {
        return (t + TICK - 1) / TICK * TICK;
    }

    @Property(tries = 100)
    void aTimerRearmingItselfFromItsCallbackKeepsFiring(@ForAll @IntRange(min = 1, max = 500) int period) {
        TimerWheel wheel = new TimerWheel(TICK, 8, 0);
        int[] count = new int[1];
        Timer t = new Timer() {
            @Override
            protected void expired(long nowNs) {
                count[0]++;
                wheel.schedule(this, nowNs + period);
            }
        };
        wheel.schedule(t, period);
        long end = 100 * Math.max(period, TICK);
        for (long now = 0; now <= end; now += TICK) {
            wheel.expire(now);
        }
        // model: with expiry checked every tick, each firing happens at the deadline rounded up to a tick
        int expected = 0;
        for (long fire = roundUp(period); fire <= end; fire = roundUp(fire + period)) {
            expected++;
        }
        assertEquals(expected, count[0]);
    }
}
