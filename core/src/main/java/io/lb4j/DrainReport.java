package io.lb4j;

import java.time.Duration;

/**
 * What a paced drain did ({@link Balancer#drain(Backend, Duration, Duration, boolean)}, or the paced
 * close of the whole balancer). Immutable.
 *
 * @param backend the backend drained, or {@code null} for the whole balancer
 * @param closed connections the drain closed at their paced time
 * @param endedByThemselves connections that ended on their own before their turn came
 * @param closedAtEnd connections the pacing did not reach: still open at the hard deadline (a busy
 *     loop fell behind), or opened while the drain began; closed at once at the end
 * @param took from the call to the last close
 */
public record DrainReport(Backend backend, int closed, int endedByThemselves, int closedAtEnd,
                          Duration took) {
}
