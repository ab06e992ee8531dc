package io.lb4j;

import java.time.Duration;

/**
 * What a paced drain did ({@link Balancer#drain(Backend, Duration, Duration, boolean)}, or the paced
 * close of the whole balancer). Immutable.
 *
 * @param backend the backend drained, or {@code null} for the whole balancer
 * @param closed connections the drain closed at their paced time
 * @param endedByThemselves connections that ended on their own before their turn came
 * @param closedAtDeadline connections still open when the hard deadline came (a busy loop fell
 *     behind, or they opened while the drain ran), closed then at once
 * @param took from the call to the last close
 */
public record DrainReport(Backend backend, int closed, int endedByThemselves, int closedAtDeadline,
                          Duration took) {
}
