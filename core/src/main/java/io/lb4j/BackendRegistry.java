package io.lb4j;

import io.lb4j.internal.pool.FixedRegistry;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where the backends come from: a source that pushes full membership snapshots.
 *
 * <p>The balancer calls {@link #start} once from {@link Balancer#start()}; the registry then calls
 * the given sink with the complete list of backends every time membership, a weight or an admin
 * state changes, from any thread. The first snapshot should be pushed before {@code start} returns
 * when it is known at once. Each snapshot replaces the previous one atomically: backends missing
 * from it are removed (their open connections keep running), new ones are probed before they take
 * traffic. The sink never blocks for long and may be called concurrently; snapshots are applied in
 * the order the sink receives them. A registry that throws from {@code start} fails the balancer's
 * start; a snapshot with two backends of the same {@linkplain Backend#name() name} is rejected and
 * the previous one kept.
 */
public interface BackendRegistry extends AutoCloseable {

    /**
     * Begins pushing snapshots to {@code sink}.
     *
     * @param sink takes each full snapshot; safe to call from any thread
     */
    void start(Consumer<List<Backend>> sink);

    /** Stops pushing snapshots and releases what the registry holds. Default: nothing to do. */
    @Override
    default void close() {
    }

    /**
     * A fixed list, pushed once.
     *
     * @param backends the members, copied
     * @return a registry that pushes that list once, at start
     */
    static BackendRegistry fixed(List<Backend> backends) {
        return new FixedRegistry(backends);
    }
}
