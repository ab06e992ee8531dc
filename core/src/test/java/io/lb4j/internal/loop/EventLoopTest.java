package io.lb4j.internal.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.internal.Faults;
import io.lb4j.testing.Await;
import io.lb4j.testing.ExpectFaults;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The loop survives whatever its handlers, timers and tasks throw: each fault is counted once and
 * goes to its owner's failure hook, and a key cancelled earlier in the same select batch is skipped,
 * not counted.
 */
@ExtendWith(FaultOracle.class)
class EventLoopTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final Faults faults = new Faults();
    private final EventLoop loop = new EventLoop(0, "event-loop-test", faults);
    private final List<Pipe> pipes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        loop.shutdown();
        loop.terminated().handle((v, e) -> null).get(10, TimeUnit.SECONDS);
        for (Pipe pipe : pipes) {
            pipe.sink().close();
            pipe.source().close();
        }
    }

    /** A pipe whose source has one byte ready to read. */
    private Pipe readyPipe() throws IOException {
        Pipe pipe = Pipe.open();
        pipes.add(pipe);
        pipe.source().configureBlocking(false);
        pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
        return pipe;
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
        CompletableFuture<T> done = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                done.complete(task.call());
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        });
        return done.get(10, TimeUnit.SECONDS);
    }

    /** Runs on the loop after at least one more full cycle (select, tasks, timers). */
    private void nextCycle() throws Exception {
        onLoop(() -> null);
        onLoop(() -> null);
    }

    @Test
    void shouldSkipAKeyCancelledEarlierInTheSameSelectBatch() throws Exception {
        loop.start();
        Pipe a = readyPipe();
        Pipe b = readyPipe();
        AtomicInteger handled = new AtomicInteger();
        SelectionKey[] keys = new SelectionKey[2];
        // whichever of the two runs first cancels the other, as a pair's backend handler closes the
        // pair (both keys) while the client key waits later in the same batch
        Handler cancelOther = (key, ops) -> {
            handled.incrementAndGet();
            SelectionKey other = key == keys[0] ? keys[1] : keys[0];
            other.cancel();
            key.cancel();
        };
        onLoop(() -> {
            // both registered in one task, both already readable: one select reports both
            keys[0] = a.source().register(loop.selector(), SelectionKey.OP_READ, cancelOther);
            keys[1] = b.source().register(loop.selector(), SelectionKey.OP_READ, cancelOther);
            return null;
        });
        Await.until("the first handler to run", () -> handled.get() >= 1, WAIT);
        nextCycle();
        assertEquals(1, handled.get(), "the cancelled key is not handed to its handler");
        assertEquals(0, faults.total(), "no fault: " + faults.byKind());
    }

    @ExpectFaults("event loop handler")

    @Test
    void shouldHandWhatAHandlerThrowsToItsFailureHookAndGoOn() throws Exception {
        loop.start();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Throwable[] thrown = {new IllegalStateException("handler bug"), new NoClassDefFoundError("Missing")};
        for (Throwable t : thrown) {
            Pipe pipe = readyPipe();
            Handler throwing = new Handler() {
                @Override
                public void ready(SelectionKey key, int readyOps) {
                    if (t instanceof RuntimeException) {
                        throw (RuntimeException) t;
                    }
                    throw (Error) t;
                }

                @Override
                public void failed(SelectionKey key, Throwable cause) {
                    failures.add(cause);
                    key.cancel();
                }
            };
            onLoop(() -> pipe.source().register(loop.selector(), SelectionKey.OP_READ, throwing));
        }
        Await.until("both failure hooks called", () -> failures.size() == 2, WAIT);
        assertTrue(failures.contains(thrown[0]) && failures.contains(thrown[1]), failures.toString());
        assertEquals(1, faults.count("event loop handler: IllegalStateException"));
        assertEquals(1, faults.count("event loop handler: NoClassDefFoundError"));
        assertEquals("loop alive", onLoop(() -> "loop alive"));
        assertFalse(loop.terminated().isDone());
    }

    @ExpectFaults("event loop handler: IllegalStateException")

    @Test
    void shouldCloseOnlyTheKeysChannelWhenAHandlerWithoutAHookThrows() throws Exception {
        loop.start();
        Pipe pipe = readyPipe();
        Handler throwing = (key, ops) -> {
            throw new IllegalStateException("no hook");
        };
        onLoop(() -> pipe.source().register(loop.selector(), SelectionKey.OP_READ, throwing));
        Await.until("the channel closed", () -> !pipe.source().isOpen(), WAIT);
        assertTrue(pipe.sink().isOpen(), "the other end is not the handler's to close");
        assertEquals(1, faults.total());
    }

    @ExpectFaults("event loop timer")

    @Test
    void shouldCountAThrowingTimerCallItsHookAndFireTheOthers() throws Exception {
        loop.start();
        AtomicReference<Throwable> hook = new AtomicReference<>();
        AtomicInteger fired = new AtomicInteger();
        Timer throwing = new Timer() {
            @Override
            protected void expired(long nowNs) {
                throw new IllegalArgumentException("timer bug");
            }

            @Override
            protected void failed(Throwable cause) {
                hook.set(cause);
            }
        };
        Timer linkage = new Timer() {
            @Override
            protected void expired(long nowNs) {
                throw new ExceptionInInitializerError("static init failed");
            }
        };
        Timer fine = new Timer() {
            @Override
            protected void expired(long nowNs) {
                fired.incrementAndGet();
            }
        };
        onLoop(() -> {
            long due = loop.nowNs() + 20_000_000L;
            loop.timers().schedule(throwing, due);
            loop.timers().schedule(linkage, due);
            loop.timers().schedule(fine, due);
            return null;
        });
        Await.until("the well-behaved timer fired", () -> fired.get() == 1, WAIT);
        Await.until("the hook called", () -> hook.get() != null, WAIT);
        assertEquals("timer bug", hook.get().getMessage());
        assertEquals(2, faults.count("event loop timer"), faults.byKind().toString());
        assertEquals("loop alive", onLoop(() -> "loop alive"));
    }

    @ExpectFaults("event loop task")

    @Test
    void shouldCountATaskThatThrowsALinkageErrorAndGoOn() throws Exception {
        loop.start();
        loop.execute(() -> {
            throw new NoClassDefFoundError("io/lb4j/Gone");
        });
        loop.execute(() -> {
            throw new UnsupportedOperationException("task bug");
        });
        assertEquals("loop alive", onLoop(() -> "loop alive"));
        assertEquals(2, faults.count("event loop task"), faults.byKind().toString());
        assertEquals(0, faults.loopFailures());
    }

    @ExpectFaults("event loop failed: StackOverflowError")

    @Test
    void shouldReportALoopThatEndsAndCloseItsChannels() throws Exception {
        loop.start();
        Pipe pipe = readyPipe();
        onLoop(() -> pipe.source().register(loop.selector(), 0, (Handler) (key, ops) -> { }));
        StackOverflowError fatal = new StackOverflowError("deep");
        loop.execute(() -> {
            throw fatal;
        });
        Throwable cause = loop.terminated().handle((v, e) -> e).get(10, TimeUnit.SECONDS);
        assertSame(fatal, cause);
        assertEquals(1, faults.loopFailures());
        assertEquals(1, faults.count(Faults.LOOP_FAILED));
        assertFalse(pipe.source().isOpen(), "its channels are closed");
    }
}
