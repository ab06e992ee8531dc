package io.lb4j.internal.export;

import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Timer;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.JMException;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Gives memory the C heap has freed back to the system once the open-connection count has moved by
 * many connections and then held still, through the JVM's {@code System.trim_native_heap} diagnostic
 * command (JDK 17.0.9+, 21.0.1+; glibc), invoked on the platform MBean server. A burst of new
 * connections makes the JIT compile and NIO allocate scratch memory; glibc keeps what they free, about
 * 8 MiB after 9,600 new WebSocket pairs (0.8 KiB per pair), which the trim returns. The JVM's own
 * {@code -XX:TrimNativeHeapInterval} does the same on a timer, but only when asked for by a flag.
 *
 * <p>Off the hot path: a loop only compares the count it has just changed with the count at the last
 * trim; when that moved by {@link #MIN_CHANGE} or more, one timer on that loop waits until the count
 * has held still for {@link #QUIET_NS}, and the control thread runs the command. At most one trim per
 * {@link #MIN_INTERVAL_NS}. Nothing happens when {@code java.management} is not in the runtime, no
 * platform MBean server exists (it is never created for this), the JDK lacks the command, or the
 * system property {@code io.lb4j.trimNativeHeap} is {@code false}.
 */
public final class NativeHeapTrim {
    /** Connections the open count must move by, up or down, since the last trim. */
    static final int MIN_CHANGE = 256;
    /** How long the count must hold still before trimming. */
    static final long QUIET_NS = 2_000_000_000L;
    /** Least time between two trims. */
    static final long MIN_INTERVAL_NS = 5_000_000_000L;

    private final AtomicInteger open;
    private final Executor control;
    private final Faults faults;
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile int trimmedAt;
    private volatile long lastTrimNs;
    private volatile boolean available = true;
    private volatile int trims;

    private NativeHeapTrim(AtomicInteger open, Executor control, Faults faults) {
        this.open = open;
        this.control = control;
        this.faults = faults;
        this.lastTrimNs = System.nanoTime() - MIN_INTERVAL_NS;
    }

    /**
     * A trimmer for the count {@code open}, or {@code null} when it cannot or must not run here.
     *
     * @param open the balancer's open-connection count
     * @param control the thread that runs the command
     * @param faults where an unexpected failure of the command is counted
     */
    public static NativeHeapTrim create(AtomicInteger open, Executor control, Faults faults) {
        if ("false".equalsIgnoreCase(System.getProperty("io.lb4j.trimNativeHeap"))) {
            return null;
        }
        Optional<Module> management = ModuleLayer.boot().findModule("java.management");
        if (management.isEmpty() || !NativeHeapTrim.class.getModule().canRead(management.get())) {
            return null; // a runtime image without it, or a module graph that left it out
        }
        return new NativeHeapTrim(open, control, faults);
    }

    /**
     * The open count is now {@code count}: arms the wait for quiet when it moved far enough since the
     * last trim. On {@code loop}'s thread, which has just changed the count.
     */
    public void moved(int count, EventLoop loop) {
        if (!available || Math.abs(count - trimmedAt) < MIN_CHANGE || !pending.compareAndSet(false, true)) {
            return;
        }
        loop.timers().schedule(new Settle(loop, count), loop.nowNs() + QUIET_NS);
    }

    /** Trims done so far (for tests). */
    int trims() {
        return trims;
    }

    /** Waits on a loop until the count holds still, then hands the trim to the control thread. */
    private final class Settle extends Timer {
        private final EventLoop loop;
        private int seen;

        Settle(EventLoop loop, int seen) {
            this.loop = loop;
            this.seen = seen;
        }

        @Override
        protected void expired(long nowNs) {
            int now = open.get();
            if (now != seen || nowNs - lastTrimNs < MIN_INTERVAL_NS) {
                seen = now;
                loop.timers().schedule(this, nowNs + QUIET_NS);
                return;
            }
            try {
                control.execute(NativeHeapTrim.this::trim);
            } catch (RejectedExecutionException closing) {
                pending.set(false);
            }
        }
    }

    private void trim() {
        try {
            if (!MBeans.platformServerExists()) {
                return; // not now: creating the server costs more than the trim gives back
            }
            if (Command.trim()) {
                trims++;
            } else {
                available = false; // this JDK or C library has no trim: stop asking
            }
        } catch (RuntimeException | LinkageError e) {
            available = false;
            faults.record("native heap trim", e);
        } finally {
            trimmedAt = open.get();
            lastTrimNs = System.nanoTime();
            pending.set(false);
        }
    }

    /** The part that touches {@code java.management}: loaded only on the first trim. */
    private static final class Command {
        private static final String OPERATION = "systemTrimNativeHeap";

        private Command() {
        }

        /** Runs the command; false when it does not exist or says it cannot trim here. */
        static boolean trim() {
            try {
                MBeanServer server = ManagementFactory.getPlatformMBeanServer();
                ObjectName name = new ObjectName("com.sun.management:type=DiagnosticCommand");
                if (!server.isRegistered(name)) {
                    return false; // jdk.management is not in the runtime
                }
                boolean found = false;
                for (MBeanOperationInfo op : server.getMBeanInfo(name).getOperations()) {
                    found |= op.getName().equals(OPERATION) && op.getSignature().length == 0;
                }
                if (!found) {
                    return false; // before JDK 17.0.9
                }
                Object out = server.invoke(name, OPERATION, null, null);
                return !String.valueOf(out).toLowerCase(Locale.ROOT).contains("not available");
            } catch (JMException e) {
                return false;
            }
        }
    }
}
