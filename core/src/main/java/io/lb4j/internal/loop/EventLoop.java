package io.lb4j.internal.loop;

import io.lb4j.internal.Faults;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One thread, one {@link Selector}, one {@link TimerWheel}, one scratch buffer. Everything registered
 * here is touched only by this thread, so connection state needs no locks; other threads hand work
 * in through {@link #execute(Runnable)}.
 */
public final class EventLoop implements Runnable {
    /** Largest chunk read at once, and the most a stalled direction of a pair parks. */
    public static final int BUFFER_BYTES = 64 * 1024;
    private static final int MAX_POOLED_BUFFERS = 64;
    private static final int TASKS_PER_CYCLE = 1024;
    private static final long TICK_NS = 10_000_000L;

    private final int id;
    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final TimerWheel timers;
    private final ArrayDeque<ByteBuffer> pool = new ArrayDeque<>();
    private final Consumer<SelectionKey> onReady = this::ready;
    private final Faults faults;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private ByteBuffer scratch = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private ArrayList<Channel> closeQueued = new ArrayList<>();
    private ArrayList<Channel> closeReady = new ArrayList<>();
    private volatile boolean running = true;
    private long nowNs;
    private boolean clockStale;
    private long sequence;

    /**
     * @param id index of this loop, 0-based
     * @param name thread name
     * @param faults where exceptions caught on this loop are counted and logged
     */
    public EventLoop(int id, String name, Faults faults) {
        this.id = id;
        this.faults = faults;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector", e);
        }
        this.nowNs = System.nanoTime();
        this.timers = new TimerWheel(TICK_NS, 1024, nowNs, this::timerFailed);
        this.thread = new Thread(this, name);
        this.thread.setDaemon(true);
    }

    /** Index of this loop. */
    public int id() {
        return id;
    }

    /** The next of this loop's numbers (1, 2, ...), naming what it accepts; only on this loop's thread. */
    public long nextSequence() {
        return ++sequence;
    }

    /** Starts the thread. */
    public synchronized void start() {
        if (running) {
            thread.start();
        }
    }

    /** The selector; register channels with it only from this loop's thread. */
    public Selector selector() {
        return selector;
    }

    /**
     * Reads the clock once per cycle, when the select has returned and before the first handler runs, so
     * every handler, task and timer of the cycle sees the time it woke at (Aeron's duty cycle reads its
     * clock at the top for the same reason). {@code select(Consumer)} dispatches from inside the select,
     * so the first dispatch of a batch reads it; a cycle with nothing ready reads it after the select.
     */
    private void readClock() {
        nowNs = System.nanoTime();
        clockStale = false;
    }

    /** The clock read once this cycle, before its handlers ran; use it instead of {@code System.nanoTime()}. */
    public long nowNs() {
        return nowNs;
    }

    /** This loop's timers; only from this loop's thread. */
    public TimerWheel timers() {
        return timers;
    }

    /** Whether the caller runs on this loop's thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** The loop's scratch buffer; lend it out only through {@link #swapScratch()}. */
    public ByteBuffer scratch() {
        return scratch;
    }

    /**
     * Gives away the current scratch buffer (which holds bytes to park) and takes a fresh one, so
     * parking never copies.
     */
    public ByteBuffer swapScratch() {
        ByteBuffer given = scratch;
        ByteBuffer fresh = pool.pollFirst();
        scratch = fresh != null ? fresh : ByteBuffer.allocateDirect(BUFFER_BYTES);
        return given;
    }

    /** Returns a parked buffer once its bytes are written. */
    public void release(ByteBuffer buffer) {
        if (pool.size() < MAX_POOLED_BUFFERS) {
            buffer.clear();
            pool.addFirst(buffer);
        }
    }

    /**
     * Closes {@code channel}, whose key the caller has cancelled, once the next select has deregistered
     * that key. Closing a still-registered channel costs the JDK a {@code getsockopt(SO_LINGER)} and a
     * {@code shutdown} before the real close at deregistration; deferring saves both, about a tenth of
     * the system calls of a short connection (measured with {@code strace -c} on the conn workload).
     * Only from this loop's thread.
     */
    public void closeAfterDeregister(Channel channel) {
        closeQueued.add(channel);
    }

    private void closeDeregistered() {
        ArrayList<Channel> ready = closeReady;
        for (int i = 0, n = ready.size(); i < n; i++) {
            try {
                ready.get(i).close();
            } catch (IOException e) {
                // closing a dead connection: nothing to tell
            }
        }
        ready.clear();
    }

    /** Runs {@code task} on this loop soon; thread-safe. Tasks that throw are counted and logged. */
    public void execute(Runnable task) {
        tasks.add(task);
        if (!inLoop() && wakeupPending.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    /** Asks the loop to stop; {@link #terminated()} completes when it has. */
    public synchronized void shutdown() {
        running = false;
        if (thread.getState() == Thread.State.NEW) {
            closeAll(null); // never started: nothing runs to do it
        } else {
            selector.wakeup();
        }
    }

    /**
     * Completes once the thread has closed every channel registered here and ended: normally after
     * {@link #shutdown()}, exceptionally with the cause when the loop failed on its own.
     */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    @Override
    public void run() {
        Throwable ended = null;
        try {
            while (running) {
                wakeupPending.set(false);
                // channels whose keys were cancelled before this select are deregistered by it
                ArrayList<Channel> swap = closeReady;
                closeReady = closeQueued;
                closeQueued = swap;
                clockStale = true;
                if (tasks.isEmpty() && closeReady.isEmpty()) {
                    long timeoutMs = timers.size() > 0 ? TICK_NS / 1_000_000 : 1000;
                    selector.select(onReady, timeoutMs);
                } else {
                    selector.selectNow(onReady);
                }
                if (clockStale) { // no key was ready: read it for the tasks and timers
                    readClock();
                }
                closeDeregistered();
                runTasks();
                timers.expire(nowNs);
            }
        } catch (IOException | RuntimeException | Error e) {
            // only what no handler, task or timer could contain gets here: the selector itself failed,
            // or the JVM is out of memory or stack; the balancer must learn it lost this loop
            // (not rethrown: the thread's default handler would print a stack trace on standard error)
            ended = e;
            faults.loopFailed(thread.getName(), e);
        } finally {
            closeAll(ended);
        }
    }

    /**
     * Dispatches one ready key. A key cancelled earlier in the same batch (its pair closed by the
     * other side's handler) may still be handed over: {@link Selector#select(Consumer, long)} allows
     * it, and its ready set can no longer be read, so it is skipped.
     */
    private void ready(SelectionKey key) {
        if (clockStale) {
            readClock();
        }
        if (!key.isValid()) {
            return;
        }
        Handler handler = (Handler) key.attachment();
        try {
            handler.ready(key, key.readyOps());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            // also LinkageErrors: a class that failed to load (say, for want of a descriptor) fails what
            // this handler owns, not the loop and every connection on it
            faults.record("event loop handler", t);
            try {
                handler.failed(key, t);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable again) {
                faults.record("event loop handler failure", again);
                key.cancel();
                closeAfterDeregister(key.channel());
            }
        }
    }

    /** A timer's callback threw: counted, then the timer's owner releases what it holds. */
    private void timerFailed(Timer timer, Throwable cause) {
        faults.record("event loop timer", cause);
        try {
            timer.failed(cause);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable again) {
            faults.record("event loop timer failure", again);
        }
    }

    private void runTasks() {
        for (int i = 0; i < TASKS_PER_CYCLE; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                return;
            }
            try {
                task.run();
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                faults.record("event loop task", t);
            }
        }
    }

    private void closeAll(Throwable ended) {
        try {
            for (SelectionKey key : new ArrayList<>(selector.keys())) {
                Object attachment = key.attachment();
                if (attachment instanceof Handler) {
                    try {
                        ((Handler) attachment).shutdown(key);
                    } catch (VirtualMachineError e) {
                        throw e;
                    } catch (Throwable t) {
                        faults.record("event loop shutdown", t);
                        key.channel().close();
                    }
                } else {
                    key.channel().close();
                }
            }
            selector.close();
        } catch (IOException e) {
            faults.record("event loop close", e);
        }
        closeDeregistered();
        closeReady = closeQueued;
        closeDeregistered();
        runRemainingTasks();
        if (ended == null) {
            terminated.complete(null);
        } else {
            terminated.completeExceptionally(ended);
        }
        // once more: a task handed in between the drain above and the completion still runs, and one
        // handed in later finds terminated() done, so a caller never waits on a task nobody will run
        runRemainingTasks();
    }

    private void runRemainingTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                faults.record("event loop task at shutdown", t);
            }
        }
    }
}
