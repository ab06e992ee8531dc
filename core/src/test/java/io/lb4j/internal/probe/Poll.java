package io.lb4j.internal.probe;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline (no bare sleeps as synchronisation). */
final class Poll {
    private Poll() {
    }

    /** Polls every 10 ms until {@code condition} holds; fails naming {@code what} at the deadline. */
    static void until(Duration max, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + max.toMillis() + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }
}
