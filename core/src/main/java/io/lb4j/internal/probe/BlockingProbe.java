package io.lb4j.internal.probe;

import io.lb4j.Backend;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import java.util.Objects;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * {@link HealthProbe#blocking(Predicate)}, {@link HealthProbe#async(Function)},
 * {@link HealthProbe#blockingCheck(Function)} and {@link HealthProbe#asyncCheck(Function)}: the user's code
 * runs on the engine's bounded executor, never on an event loop; when the checker gives up on it
 * (timeout) the task is interrupted. While the user's code is still busy with a backend, a new check
 * of it shares that call's outcome instead of taking a second thread, so one hung probe holds at most
 * one thread (and its later checks time out, as they should).
 */
public final class BlockingProbe implements HealthProbe {
    private static final ProbeResult SAID_UNHEALTHY = ProbeResult.failed("probe said unhealthy");

    private final Function<Target, CompletionStage<ProbeResult>> check;
    private final Map<String, CompletableFuture<ProbeResult>> inFlight = new ConcurrentHashMap<>();

    private BlockingProbe(Function<Target, CompletionStage<ProbeResult>> check) {
        this.check = check;
    }

    /** Wraps a blocking yes/no {@code check} of the backend. */
    public static BlockingProbe blocking(Predicate<Backend> check) {
        Objects.requireNonNull(check, "check");
        return new BlockingProbe(target -> CompletableFuture.completedFuture(verdict(check.test(target.backend()))));
    }

    /** Wraps a yes/no check that returns a stage; the function itself is called on the executor too. */
    public static BlockingProbe async(Function<Backend, CompletionStage<Boolean>> check) {
        Objects.requireNonNull(check, "check");
        return new BlockingProbe(target -> {
            CompletionStage<Boolean> stage = check.apply(target.backend());
            return stage == null ? null : stage.thenApply(BlockingProbe::verdict);
        });
    }

    /** Wraps a blocking check of the target that gives its own result. */
    public static BlockingProbe blockingCheck(Function<Target, ProbeResult> check) {
        Objects.requireNonNull(check, "check");
        return new BlockingProbe(target -> CompletableFuture.completedFuture(check.apply(target)));
    }

    /** Wraps a check of the target that returns a stage of its own result. */
    public static BlockingProbe asyncCheck(Function<Target, CompletionStage<ProbeResult>> check) {
        return new BlockingProbe(Objects.requireNonNull(check, "check"));
    }

    private static ProbeResult verdict(Boolean healthy) {
        return Boolean.TRUE.equals(healthy) ? ProbeResult.ok() : SAID_UNHEALTHY;
    }

    @Override
    public CompletionStage<ProbeResult> check(Target target) {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        String name = target.backend().name();
        CompletableFuture<ProbeResult> call = new CompletableFuture<>();
        CompletableFuture<ProbeResult> earlier = inFlight.putIfAbsent(name, call);
        if (earlier != null) {
            // the user's code is still busy with this backend: this check shares its outcome (or
            // times out with it) instead of taking a second thread
            earlier.whenComplete((r, t) -> result.complete(r != null ? r : ProbeResult.failed("probe failed")));
            return result;
        }
        call.whenComplete((r, t) -> {
            inFlight.remove(name, call);
            result.complete(r);
        });
        AtomicBoolean claimed = new AtomicBoolean();
        Runnable task = () -> {
            if (!claimed.compareAndSet(false, true)) {
                return;
            }
            try {
                CompletionStage<ProbeResult> stage = check.apply(target);
                if (stage == null) {
                    call.complete(ProbeResult.failed("probe returned null"));
                    return;
                }
                stage.whenComplete((outcome, failure) -> call.complete(failure != null
                        ? ProbeResult.failed("probe failed: " + Reasons.of(unwrap(failure)))
                        : outcome == null ? ProbeResult.failed("probe returned no result") : outcome));
                result.whenComplete((r, t) -> {
                    if (t != null) {
                        cancel(stage); // the checker gave up: tell the user's stage
                    }
                });
            } catch (Throwable t) {
                call.complete(ProbeResult.failed("probe threw " + t.getClass().getSimpleName()));
                if (t instanceof Error && !(t instanceof AssertionError)) {
                    throw (Error) t;
                }
            }
        };
        result.whenComplete((r, t) -> {
            if (claimed.compareAndSet(false, true)) {
                call.complete(ProbeResult.failed("not started in time")); // given up on while queued
            }
        });
        Executor executor = target instanceof LoopTarget ? ((LoopTarget) target).blockingExecutor()
                : CompletableFuture.delayedExecutor(0, TimeUnit.MILLISECONDS);
        try {
            if (executor instanceof ExecutorService) {
                Future<?> submitted = ((ExecutorService) executor).submit(task);
                result.whenComplete((r, t) -> {
                    if (t != null) {
                        submitted.cancel(true); // given up on (timeout): interrupt the blocked check
                    }
                });
            } else {
                executor.execute(task);
            }
        } catch (RejectedExecutionException e) {
            claimed.set(true);
            call.complete(ProbeResult.failed("probe executor full"));
        }
        return result;
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static void cancel(CompletionStage<ProbeResult> stage) {
        try {
            stage.toCompletableFuture().cancel(true);
        } catch (UnsupportedOperationException ignored) {
            // a stage that cannot be cancelled: it is ignored from now on anyway
        }
    }
}
