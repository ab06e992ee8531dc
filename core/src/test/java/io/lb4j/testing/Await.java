package io.lb4j.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits on a condition with a deadline: the one way tests synchronise with the balancer's threads
 * (and with servers and child processes they start). Every shape polls every 2 ms; the condition
 * decides, the deadline only bounds the wait.
 */
public final class Await {
    private static final long POLL_MS = 2;

    private Await() {
    }

    /**
     * Polls {@code condition} until it holds or {@code timeout} passes.
     *
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static void until(String what, BooleanSupplier condition, Duration timeout) {
        until(() -> what, condition, timeout);
    }

    /**
     * Polls {@code condition} until it holds or {@code timeout} passes.
     *
     * @param what asked only when the deadline passes, so it can describe the state at that moment
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static void until(Supplier<String> what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what.get());
            }
            pause(what);
        }
    }

    /**
     * Polls {@code probe} until its value satisfies {@code done}, and returns that value.
     *
     * @throws AssertionError naming {@code what} and the last value when {@code timeout} passes first
     */
    public static <T> T value(String what, Supplier<T> probe, Predicate<? super T> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T value;
        while (!done.test(value = probe.get())) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what
                        + " (last: " + value + ")");
            }
            pause(() -> what);
        }
        return value;
    }

    /**
     * Polls {@code probe} until its value satisfies {@code done} or {@code timeout} passes, and returns
     * the last value either way: for a caller that reports what it found rather than failing (the fault
     * oracle, a child JVM that prints its results). An interrupt ends the wait early, the flag kept.
     */
    public static <T> T settle(Supplier<T> probe, Predicate<? super T> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T value;
        while (!done.test(value = probe.get()) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return value;
            }
        }
        return value;
    }

    /**
     * Checks {@code invariant} over a whole time span (the inverse of a wait: that something does not
     * happen), polling it until {@code span} has passed.
     *
     * @param what asked at the first poll where the invariant fails, so it can describe that state
     * @throws AssertionError naming {@code what} at the first poll where it does not hold
     */
    public static void holdsFor(Supplier<String> what, BooleanSupplier invariant, Duration span) {
        long end = System.nanoTime() + span.toNanos();
        do {
            if (!invariant.getAsBoolean()) {
                throw new AssertionError("did not hold for " + span.toMillis() + " ms: " + what.get());
            }
            pause(what);
        } while (System.nanoTime() - end < 0);
    }

    private static void pause(Supplier<String> what) {
        try {
            Thread.sleep(POLL_MS); // a poll interval, not synchronisation: the condition decides
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for: " + what.get(), e);
        }
    }
}
