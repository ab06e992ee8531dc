package io.lb4j.internal.probe;

import io.lb4j.Backend;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;

/**
 * {@link HealthProbe#blocking(Predicate)}: runs the user's blocking check on the engine's bounded
 * executor; when the checker gives up on it (timeout), the task is interrupted.
 */
public final class BlockingProbe implements HealthProbe {
    private final Predicate<Backend> check;

    /** Wraps {@code check}. */
    public BlockingProbe(Predicate<Backend> check) {
        this.check = java.util.Objects.requireNonNull(check, "check");
    }

    @Override
    public CompletionStage<ProbeResult> check(Target target) {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                result.complete(check.test(target.backend()) ? ProbeResult.ok()
                        : ProbeResult.failed("probe said unhealthy"));
            } catch (Throwable t) {
                result.complete(ProbeResult.failed("probe threw " + t.getClass().getSimpleName()));
                if (t instanceof Error && !(t instanceof AssertionError)) {
                    throw (Error) t;
                }
            }
        };
        Executor executor = target instanceof LoopTarget ? ((LoopTarget) target).blockingExecutor()
                : CompletableFuture.delayedExecutor(0, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            if (executor instanceof ExecutorService) {
                Future<?> running = ((ExecutorService) executor).submit(task);
                result.whenComplete((r, t) -> {
                    if (t != null) {
                        running.cancel(true); // given up on (timeout): interrupt the blocked check
                    }
                });
            } else {
                executor.execute(task);
            }
        } catch (RejectedExecutionException e) {
            result.complete(ProbeResult.failed("probe executor full"));
        }
        return result;
    }
}
