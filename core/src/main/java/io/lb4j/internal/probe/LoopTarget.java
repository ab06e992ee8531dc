package io.lb4j.internal.probe;

import io.lb4j.HealthProbe;
import io.lb4j.internal.loop.EventLoop;
import java.util.concurrent.Executor;

/**
 * The engine's {@link HealthProbe.Target}: also gives built-in probes the event loop to run on and
 * the bounded executor for blocking probes, so that they need no threads of their own.
 */
public interface LoopTarget extends HealthProbe.Target {
    /** The loop this check runs on; {@code check} is called on its thread. */
    EventLoop loop();

    /** A small bounded executor for probes that block. */
    Executor blockingExecutor();
}
