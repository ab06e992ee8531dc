package io.lb4j.internal.engine;

import io.lb4j.internal.loop.EventLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Work handed to a loop from the engine's other threads, and the bounded waits on it. Start-up, close
 * and the admin paths share these so that none of them ever waits on a loop that has ended.
 */
final class LoopTasks {

    /** A registration that may fail with an {@link IOException} (a listener joining its selector). */
    interface Registration {
        void register() throws IOException;
    }

    private LoopTasks() {
    }

    /**
     * Runs {@code task} on {@code loop}; the future fails at once when the loop has ended (a loop that
     * failed runs no more tasks, and its channels are closed already), so start and close never wait
     * on a dead loop.
     */
    static CompletableFuture<Void> onLoop(EventLoop loop, Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                task.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        // a loop that ended after the task was handed in either ran it while closing or is done by now
        // (EventLoop.closeAll); a whenComplete on its terminated future would pile up there per call
        if (loop.terminated().isDone()) {
            done.completeExceptionally(new IllegalStateException("event loop " + loop.id() + " has ended"));
        }
        return done;
    }

    /** Registers a listener on its loop, as {@link #onLoop}; an {@link IOException} fails the future. */
    static CompletableFuture<Void> register(EventLoop loop, Registration registration) {
        return onLoop(loop, () -> {
            try {
                registration.register();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The value {@code task} computes on {@code loop}. */
    static <T> CompletableFuture<T> value(EventLoop loop, Supplier<T> task) {
        CompletableFuture<T> done = new CompletableFuture<>();
        loop.execute(() -> done.complete(task.get()));
        return done;
    }

    /**
     * Waits for {@code future} on {@code start()}'s path: a failure comes back as the exception that
     * caused it, a timeout or interrupt as an {@link IllegalStateException} naming {@code what}.
     */
    static void join(CompletableFuture<?> future, long timeoutMs, String what) {
        try {
            future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("start: interrupted during " + what, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IllegalStateException("start: " + what + " failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("start: " + what + " took longer than " + timeoutMs + " ms", e);
        }
    }

    /** Waits for {@code future} on a closing path: at most {@code timeoutMs}, whatever it ends with. */
    static void joinQuietly(CompletableFuture<?> future, long timeoutMs) {
        try {
            future.get(Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // closing anyway
        }
    }

    /** A daemon thread named {@code name}, not started. */
    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
