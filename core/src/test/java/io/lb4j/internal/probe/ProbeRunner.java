package io.lb4j.internal.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.Backend;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.testing.Await;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs probes on a real event loop of its own, as the engine does, for probe tests. A JUnit class
 * holds one for all its tests with {@code @RegisterExtension static final ProbeRunner runner = new
 * ProbeRunner();}, which closes it after the last.
 */
final class ProbeRunner implements AutoCloseable, AfterAllCallback {
    final Faults faults = new Faults();
    final EventLoop loop = new EventLoop(0, "probe-test-loop", faults);
    private final ExecutorService executor = Executors.newFixedThreadPool(2);

    ProbeRunner() {
        loop.start();
    }

    /** Runs one check of {@code probe} against {@code address} on the loop; waits up to 5 s. */
    ProbeResult check(HealthProbe probe, InetSocketAddress address) throws Exception {
        return start(probe, Backend.of(address.getAddress().getHostAddress(), address.getPort()), address)
                .get(5, TimeUnit.SECONDS);
    }

    /** As {@link #check(HealthProbe, InetSocketAddress)}, for a backend named {@code backend}. */
    ProbeResult check(HealthProbe probe, Backend backend, InetSocketAddress address) throws Exception {
        return start(probe, backend, address).get(5, TimeUnit.SECONDS);
    }

    /** Starts one check on the loop and returns its outcome without waiting. */
    CompletableFuture<ProbeResult> start(HealthProbe probe, Backend backend, InetSocketAddress address) {
        LoopTarget target = target(backend, address, executor);
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        loop.execute(() -> {
            CompletionStage<ProbeResult> stage = probe.check(target);
            stage.whenComplete((r, t) -> {
                if (t != null) {
                    result.completeExceptionally(t);
                } else {
                    result.complete(r);
                }
            });
        });
        return result;
    }

    /** Starts one check on the loop and returns the probe's own stage, as the engine's checker holds it. */
    CompletionStage<ProbeResult> launch(HealthProbe probe, Backend backend, InetSocketAddress address) throws Exception {
        CompletableFuture<CompletionStage<ProbeResult>> stage = new CompletableFuture<>();
        loop.execute(() -> stage.complete(probe.check(target(backend, address, executor))));
        return stage.get(5, TimeUnit.SECONDS);
    }

    /** A target on this loop whose blocking work goes to {@code blockingExecutor}, with a 2 s timeout. */
    LoopTarget target(Backend backend, InetSocketAddress address, Executor blockingExecutor) {
        return new Target(backend, address, blockingExecutor);
    }

    /** Selection keys still valid on the loop (probe sockets not yet released). */
    long liveKeys() {
        CompletableFuture<Long> count = new CompletableFuture<>();
        loop.execute(() -> count.complete(loop.selector().keys().stream().filter(SelectionKey::isValid).count()));
        return count.orTimeout(5, TimeUnit.SECONDS).join();
    }

    /**
     * Fails when a fault was counted on the loop, or when a probe socket is still registered 5 s on
     * ({@code what} names the wait).
     */
    void assertNoFaultAndNoSocketLeft(String what) {
        assertEquals(0, faults.total(), "faults on the probe loop");
        Await.until(what, () -> liveKeys() == 0, Duration.ofSeconds(5));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        loop.shutdown();
        loop.terminated().orTimeout(5, TimeUnit.SECONDS).join();
        executor.shutdownNow();
    }

    private final class Target implements LoopTarget {
        private final Backend backend;
        private final InetSocketAddress address;
        private final Executor blockingExecutor;

        Target(Backend backend, InetSocketAddress address, Executor blockingExecutor) {
            this.backend = backend;
            this.address = address;
            this.blockingExecutor = blockingExecutor;
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public Duration timeout() {
            return Duration.ofSeconds(2);
        }

        @Override
        public EventLoop loop() {
            return loop;
        }

        @Override
        public Executor blockingExecutor() {
            return blockingExecutor;
        }
    }
}
