package io.lb4j.internal.loop;

import java.util.function.BiConsumer;

/**
 * A hashed timer wheel (Varghese and Lauck) owned by one event loop: O(1) to arm and disarm, and a
 * timer further away than one turn simply stays in its slot until its deadline has passed. Only the
 * owning loop's thread touches it.
 */
public final class TimerWheel {
    private final Timer[] slots;
    private final int mask;
    private final long tickNs;
    private final long originNs;
    private final BiConsumer<Timer, Throwable> onFault;
    private long processedTick;
    private int size;

    /**
     * @param tickNs resolution; deadlines fire up to one tick late
     * @param slotCount a power of two
     * @param nowNs the clock at creation
     */
    public TimerWheel(long tickNs, int slotCount, long nowNs) {
        this(tickNs, slotCount, nowNs, null);
    }

    /**
     * @param tickNs resolution; deadlines fire up to one tick late
     * @param slotCount a power of two
     * @param nowNs the clock at creation
     * @param onFault told of a timer whose {@link Timer#expired} threw (anything but a
     *     {@link VirtualMachineError}), after which the other due timers still fire; {@code null}:
     *     the throwable leaves {@link #expire}, and the timers not yet fired fire on the next call
     */
    public TimerWheel(long tickNs, int slotCount, long nowNs, BiConsumer<Timer, Throwable> onFault) {
        if (Integer.bitCount(slotCount) != 1) {
            throw new IllegalArgumentException("slotCount: " + slotCount + " (expected: a power of two)");
        }
        this.slots = new Timer[slotCount];
        this.mask = slotCount - 1;
        this.tickNs = tickNs;
        this.originNs = nowNs;
        this.processedTick = 0;
        this.onFault = onFault;
    }

    /** Timers armed now. */
    public int size() {
        return size;
    }

    /** The resolution, in nanoseconds. */
    public long tickNs() {
        return tickNs;
    }

    /** Arms (or re-arms) {@code timer} to expire at {@code deadlineNs}. */
    public void schedule(Timer timer, long deadlineNs) {
        if (timer.slot >= 0) {
            unlink(timer);
        }
        timer.deadlineNs = deadlineNs;
        long tick = Math.max((deadlineNs - originNs + tickNs - 1) / tickNs, processedTick + 1);
        int slot = (int) (tick & mask);
        timer.slot = slot;
        timer.prev = null;
        Timer head = slots[slot];
        timer.next = head;
        if (head != null) {
            head.prev = timer;
        }
        slots[slot] = timer;
        size++;
    }

    /** Disarms {@code timer}; nothing happens when it is not armed. */
    public void cancel(Timer timer) {
        if (timer.slot >= 0) {
            unlink(timer);
        }
    }

    private void unlink(Timer timer) {
        if (timer.prev != null) {
            timer.prev.next = timer.next;
        } else {
            slots[timer.slot] = timer.next;
        }
        if (timer.next != null) {
            timer.next.prev = timer.prev;
        }
        timer.prev = null;
        timer.next = null;
        timer.slot = -1;
        size--;
    }

    /**
     * Expires every timer whose deadline is at or before {@code nowNs}.
     *
     * @return how many expired
     */
    public int expire(long nowNs) {
        long nowTick = (nowNs - originNs) / tickNs;
        if (nowTick <= processedTick) {
            return 0;
        }
        // after a long stall, one pass over every slot sees every timer once
        long from = Math.max(processedTick + 1, nowTick - mask);
        int fired = 0;
        for (long tick = from; tick <= nowTick; tick++) {
            int slot = (int) (tick & mask);
            Timer t = slots[slot];
            while (t != null) {
                Timer next = t.next;
                if (t.deadlineNs - nowNs <= 0) {
                    unlink(t);
                    fired++;
                    try {
                        t.expired(nowNs);
                    } catch (RuntimeException | Error e) {
                        if (onFault == null || e instanceof VirtualMachineError) {
                            throw e;
                        }
                        onFault.accept(t, e);
                    }
                    if (next != null && next.slot != slot) {
                        next = slots[slot]; // the callback disarmed our successor: walk the slot again
                    }
                }
                t = next;
            }
        }
        processedTick = nowTick;
        return fired;
    }
}
