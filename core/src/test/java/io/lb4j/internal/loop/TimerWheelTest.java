package io.lb4j.internal.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The wheel's exact edges: tick boundaries, counts, a stall of more than a turn, callbacks that disarm others. */
@ExtendWith(FaultOracle.class)
class TimerWheelTest {
    private static final long TICK = 10;

    private static final class Probe extends Timer {
        final List<Long> fired = new ArrayList<>();
        Runnable onExpiry = () -> { };

        @Override
        protected void expired(long nowNs) {
            fired.add(nowNs);
            onExpiry.run();
        }
    }

    @Test
    void shouldFireADeadlineOnATickBoundaryAtThatTickAndCountWhatFired() {
        TimerWheel wheel = new TimerWheel(TICK, 8, 0);
        assertEquals(TICK, wheel.tickNs());
        Probe a = new Probe();
        Probe b = new Probe();
        wheel.schedule(a, 20);
        wheel.schedule(b, 21);
        assertEquals(2, wheel.size());
        assertTrue(a.armed());
        assertEquals(20, a.deadlineNs());
        assertEquals(0, wheel.expire(19), "before the tick of the deadline");
        assertEquals(1, wheel.expire(20), "a deadline on a tick boundary fires at that tick");
        assertEquals(List.of(20L), a.fired);
        assertFalse(a.armed());
        assertEquals(1, wheel.size());
        assertEquals(0, wheel.expire(29), "the same tick again: nothing more to do");
        assertEquals(1, wheel.expire(30));
        assertEquals(List.of(30L), b.fired);
        assertEquals(0, wheel.size());
    }

    @Test
    void shouldFireEveryTimerOnceAfterAStallOfMoreThanOneTurn() {
        TimerWheel wheel = new TimerWheel(TICK, 8, 0);
        List<Probe> probes = new ArrayList<>();
        for (long deadline = 10; deadline <= 200; deadline += 10) {
            Probe p = new Probe();
            wheel.schedule(p, deadline);
            probes.add(p);
        }
        assertEquals(20, wheel.expire(1_000), "one pass over every slot after a long stall");
        for (Probe p : probes) {
            assertEquals(List.of(1_000L), p.fired);
        }
        Probe later = new Probe();
        wheel.schedule(later, 1_000); // already due: the next tick
        assertEquals(0, wheel.expire(1_009));
        assertEquals(1, wheel.expire(1_010));
    }

    @Test
    void shouldNotFireASuccessorThatAnEarlierCallbackCancelled() {
        TimerWheel wheel = new TimerWheel(TICK, 8, 0);
        Probe first = new Probe();
        Probe second = new Probe();
        Probe third = new Probe();
        // same slot; the head of a slot is the last scheduled
        wheel.schedule(third, 15);
        wheel.schedule(second, 15);
        wheel.schedule(first, 15);
        first.onExpiry = () -> wheel.cancel(second);
        assertEquals(2, wheel.expire(20));
        assertEquals(1, first.fired.size());
        assertEquals(0, second.fired.size(), "cancelled by the first callback");
        assertEquals(1, third.fired.size(), "the rest of the slot still fires");
        assertEquals(0, wheel.size());
    }

    @Test
    void shouldLetAThrowingTimerOutWithoutAFaultSinkAndFireTheRestNextTime() {
        TimerWheel wheel = new TimerWheel(TICK, 8, 0);
        Probe ok = new Probe();
        Timer throwing = new Timer() {
            @Override
            protected void expired(long nowNs) {
                throw new IllegalStateException("bug");
            }
        };
        wheel.schedule(ok, 15);
        wheel.schedule(throwing, 15); // the slot's head: fires first
        assertThrows(IllegalStateException.class, () -> wheel.expire(20));
        assertEquals(0, ok.fired.size());
        assertEquals(1, wheel.expire(20), "the tick is walked again");
        assertEquals(1, ok.fired.size());
    }

    @Test
    void shouldHandAThrowingTimerToTheSinkAndFireTheRest() {
        List<Throwable> faults = new ArrayList<>();
        List<Timer> failed = new ArrayList<>();
        TimerWheel wheel = new TimerWheel(TICK, 8, 0, (t, e) -> {
            failed.add(t);
            faults.add(e);
        });
        Probe ok = new Probe();
        IllegalStateException bug = new IllegalStateException("bug");
        Timer throwing = new Timer() {
            @Override
            protected void expired(long nowNs) {
                throw bug;
            }
        };
        wheel.schedule(ok, 15);
        wheel.schedule(throwing, 15);
        assertEquals(2, wheel.expire(20));
        assertSame(bug, faults.get(0));
        assertSame(throwing, failed.get(0));
        assertEquals(1, ok.fired.size());
        StackOverflowError fatal = new StackOverflowError();
        wheel.schedule(new Timer() {
            @Override
            protected void expired(long nowNs) {
                throw fatal;
            }
        }, 25);
        assertSame(fatal, assertThrows(StackOverflowError.class, () -> wheel.expire(30)),
                "a VirtualMachineError is never swallowed");
    }

    @Test
    void shouldRefuseASlotCountThatIsNotAPowerOfTwo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TimerWheel(TICK, 12, 0));
        assertEquals("slotCount: 12 (expected: a power of two)", e.getMessage());
    }
}
