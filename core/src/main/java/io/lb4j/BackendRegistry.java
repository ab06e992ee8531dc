package io.lb4j;

import io.lb4j.internal.registry.DnsRegistry;
import io.lb4j.internal.registry.DynamicRegistry;
import io.lb4j.internal.registry.FileRegistry;
import io.lb4j.internal.registry.FixedRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
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
 *
 * <p>What a change means for traffic:
 * <ul>
 *   <li>a backend that joins is probed at once and takes new connections once its first probe
 *       succeeded (at once without a probe);</li>
 *   <li>a backend that leaves gets no new connections; its open connections keep running until they
 *       end, or until {@link Balancer.Builder#closeRemovedAfter} has passed;</li>
 *   <li>{@link Backend.AdminState#DRAIN}: no new connections, still probed, open connections
 *       untouched;</li>
 *   <li>{@link Backend.AdminState#DOWN}: no new connections, not probed, open connections closed
 *       (unless {@link Balancer.Builder#closeOnAdminDown} is off); when it leaves {@code DOWN} it is
 *       probed at once and takes traffic again once that probe succeeds;</li>
 *   <li>a weight or connection limit change applies to new connections only.</li>
 * </ul>
 *
 * <p>A registry of one's own is a few lines: push a list whenever the source changes.
 * <pre>{@code
 * BackendRegistry polling = sink -> scheduler.scheduleWithFixedDelay(
 *         () -> sink.accept(fetchMembers()), 0, 5, TimeUnit.SECONDS);
 * }</pre>
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
     * @throws IllegalArgumentException when two of them share a name
     */
    static BackendRegistry fixed(List<Backend> backends) {
        return new FixedRegistry(backends);
    }

    /**
     * A registry the host application changes at runtime, starting with {@code initial}.
     *
     * @param initial the first members (may be empty)
     * @return the registry, not yet started
     * @throws IllegalArgumentException when two of them share a name
     */
    static Dynamic dynamic(List<Backend> initial) {
        return new DynamicRegistry(initial);
    }

    /**
     * A registry the host application changes at runtime, starting empty.
     *
     * @return the registry, not yet started
     */
    static Dynamic dynamic() {
        return new DynamicRegistry(List.of());
    }

    /**
     * A file of backends, re-read when it changes (a file-system watch plus a check every 500 ms, so
     * a change applies within about a second even where watches miss events). Format, one backend a
     * line: {@code HOST:PORT [weight=N] [max-connections=N] [state=up|down|drain] [deadline=D]}
     * (attributes separated by spaces or commas); {@code #} starts a comment; blank lines are ignored.
     * {@code state=drain deadline=10m} is a paced drain: the balancer closes the backend's open
     * connections spread over the deadline, oldest first, none left after it (called off when the line
     * leaves {@code state=drain}); durations as {@code 250ms}, {@code 5s}, {@code 10m}, {@code 1h}. A file with a bad line is reported through
     * {@link System.Logger} (logger {@code io.lb4j}, level {@code WARNING}) as {@code PATH:LINE: reason}
     * and not applied: the previous good set stays in force, also while the file is missing. Changed
     * contents count once they have held still for 200 ms, so a writer that truncates the file before
     * writing it (an editor, {@code echo >}) never empties the pool for a moment.
     * {@link #start} fails with an {@link IllegalArgumentException} when the file is missing or bad.
     * The watch runs on its own daemon thread, stopped by {@link #close()}.
     *
     * @param path the file
     * @return the registry, not yet started
     */
    static BackendRegistry file(Path path) {
        return new FileRegistry(Objects.requireNonNull(path, "path"));
    }

    /**
     * The A and AAAA records of {@code name}, each address with {@code port}, looked up as the
     * system's resolver does it from {@code /etc/resolv.conf} (as glibc reads it): every
     * {@code nameserver} in order (up to three; the next after a timeout, an unreachable port or a
     * SERVFAIL / REFUSED answer; 127.0.0.1:53 without any), the {@code search} list with
     * {@code ndots} (so a Kubernetes service's short name, {@code ws-backend} or
     * {@code ws-backend.prod}, resolves as in the pod's own lookups; a name ending in a dot is taken
     * as it is), and the {@code timeout} and {@code attempts} options; {@code LOCALDOMAIN} and
     * {@code RES_OPTIONS} in the environment count too. See {@link #dns(String, int, InetSocketAddress)}.
     *
     * @param name the DNS name
     * @param port the traffic port of every address, 1–65535
     * @return the registry, not yet started
     */
    static BackendRegistry dns(String name, int port) {
        return dns(name, port, null);
    }

    /**
     * The A and AAAA records of {@code name}, each address with {@code port}, weight 1, named
     * {@code IP:PORT}. Re-resolved when the shortest TTL of the answer runs out, never more often
     * than once a second nor less often than every 5 minutes. A lookup that fails (no answer after
     * retries, an error code, an empty answer) keeps the last good set and is retried with backoff
     * from 1 s up to 30 s. {@link #start} waits for the first answer (at least 5 s, at most 60 s, as
     * the resolver's timeouts add up) and fails with an {@link java.io.UncheckedIOException} without
     * one. Queries go over UDP from a non-blocking channel on the registry's own daemon thread, over
     * TCP when an answer comes truncated. With a {@code server}, queries go to it alone; the search
     * list and options of {@code /etc/resolv.conf} still apply.
     *
     * @param name the DNS name
     * @param port the traffic port of every address, 1–65535
     * @param server the DNS server, or {@code null} for the system's
     * @return the registry, not yet started
     */
    static BackendRegistry dns(String name, int port, InetSocketAddress server) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("dns port: " + port + " (expected: 1-65535)");
        }
        return DnsRegistry.addresses(name, port, server);
    }

    /**
     * The SRV records of {@code name} through the system's resolver. See
     * {@link #dnsSrv(String, InetSocketAddress)}.
     *
     * @param name the SRV name, such as {@code _ws._tcp.example.com}
     * @return the registry, not yet started
     */
    static BackendRegistry dnsSrv(String name) {
        return dnsSrv(name, null);
    }

    /**
     * The SRV records of {@code name} (RFC 2782): of the records with the lowest priority, each
     * target's addresses with the record's port and weight (0 counts as 1, above 1000 as 1000), named
     * {@code IP:PORT}. Targets are resolved through the same server (the answer's additional section
     * when it carries them). Refresh, failure and start rules as for
     * {@link #dns(String, int, InetSocketAddress)}.
     *
     * @param name the SRV name, such as {@code _ws._tcp.example.com}
     * @param server the DNS server, or {@code null} for the system's
     * @return the registry, not yet started
     */
    static BackendRegistry dnsSrv(String name, InetSocketAddress server) {
        return DnsRegistry.srv(name, server);
    }

    /**
     * A registry the host application changes at runtime. Every method is thread-safe and pushes a
     * new snapshot to a started balancer at once (applied asynchronously, in call order); changes
     * made before the start are pushed by {@link #start}. Members keep the order they were added in.
     */
    interface Dynamic extends BackendRegistry {

        /**
         * Adds a backend, or replaces the one of the same name (its weight, limit and admin state).
         *
         * @param backend the member
         */
        void add(Backend backend);

        /**
         * Removes the backend of that {@linkplain Backend#name() name}.
         *
         * @param name {@code HOST:PORT} as in {@link Backend#name()}
         * @return whether it was a member
         */
        boolean remove(String name);

        /**
         * Changes a member's weight (1–1000).
         *
         * @param name {@code HOST:PORT} as in {@link Backend#name()}
         * @param weight 1–1000
         * @throws IllegalArgumentException for a bad weight or an unknown name
         */
        void setWeight(String name, int weight);

        /**
         * Changes a member's admin state.
         *
         * @param name {@code HOST:PORT} as in {@link Backend#name()}
         * @param state the new admin state
         * @throws IllegalArgumentException for an unknown name
         */
        void setAdminState(String name, Backend.AdminState state);

        /**
         * The members now, in the order they were added.
         *
         * @return an immutable copy
         */
        List<Backend> backends();
    }
}
