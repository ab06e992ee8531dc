package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The configured backend sources with the admin API's run-time changes laid over them. A change made
 * through the API (add, remove, weight, admin state, paced drain) overrides what the sources say about
 * that one backend until a source next changes its entry for it: then the override is dropped and the
 * source's entry applies again. "Changes" means the entry the sources' union gives for that name is
 * not the same as before (another weight, limit or state, or the name appears or disappears); a
 * re-resolution or a re-read with the same result changes nothing. Entries of other names never
 * disturb an override.
 */
public final class AdminOverrides implements BackendRegistry, DrainDeadlines {
    /** What the API set for one name: its entry ({@code null} = removed) and its drain deadline. */
    private record Change(Backend backend, Duration deadline) {
    }

    private final BackendRegistry sources;
    private final Function<String, String> sourceLabel;
    /** The sources' union, in their order; {@code null} until they first pushed. */
    private Map<String, Backend> base;
    private final Map<String, Change> overrides = new LinkedHashMap<>();
    private Consumer<List<Backend>> sink;
    private boolean closed;

    /**
     * @param sources the configured sources as one registry (its deadlines are used when it has any)
     * @param sourceLabel the label of the source a name came from ({@code cli}, {@code file}, {@code dns})
     */
    public AdminOverrides(BackendRegistry sources, Function<String, String> sourceLabel) {
        this.sources = Objects.requireNonNull(sources, "sources");
        this.sourceLabel = Objects.requireNonNull(sourceLabel, "sourceLabel");
    }

    @Override
    public void start(Consumer<List<Backend>> snapshotSink) {
        synchronized (this) {
            sink = snapshotSink;
        }
        sources.start(this::fromSources);
    }

    private synchronized void fromSources(List<Backend> backends) {
        Map<String, Backend> next = new LinkedHashMap<>();
        for (Backend b : backends) {
            next.put(b.name(), b);
        }
        if (base != null) {
            Set<String> names = new HashSet<>(base.keySet());
            names.addAll(next.keySet());
            for (String name : names) {
                if (!Objects.equals(base.get(name), next.get(name))) {
                    overrides.remove(name); // the source changed this backend: its word counts again
                }
            }
        }
        base = next;
        push();
    }

    /** The backend {@code name} as it is now (sources and overrides), or {@code null} when it is not a member. */
    public synchronized Backend current(String name) {
        Change o = overrides.get(name);
        if (o != null) {
            return o.backend();
        }
        return base == null ? null : base.get(name);
    }

    /** Where {@code name}'s entry comes from now: {@code admin}, or the label of its source. */
    public synchronized String source(String name) {
        if (overrides.containsKey(name)) {
            return "admin";
        }
        String label = sourceLabel.apply(name);
        return label == null ? "cli" : label;
    }

    /**
     * Adds {@code backend}.
     *
     * @throws IllegalArgumentException when a member has its name
     */
    public synchronized void add(Backend backend) {
        if (current(backend.name()) != null) {
            throw new IllegalArgumentException("backend: " + backend.name() + " is a member already");
        }
        set(backend.name(), new Change(backend, null));
    }

    /** Removes {@code name}; its entry before, or {@code null} when it was not a member. */
    public synchronized Backend remove(String name) {
        Backend before = current(name);
        if (before == null) {
            return null;
        }
        set(name, new Change(null, null));
        return before;
    }

    /**
     * Sets {@code name}'s admin state; {@code deadline} (only with {@code DRAIN}, else {@code null})
     * makes the drain a paced one.
     *
     * @return the new entry, or {@code null} when {@code name} is not a member
     */
    public synchronized Backend state(String name, Backend.AdminState state, Duration deadline) {
        Backend before = current(name);
        if (before == null) {
            return null;
        }
        Backend after = before.withAdminState(state);
        set(name, new Change(after, state == Backend.AdminState.DRAIN ? deadline : null));
        return after;
    }

    /**
     * Sets {@code name}'s weight (a paced drain in progress goes on).
     *
     * @return the new entry, or {@code null} when {@code name} is not a member
     */
    public synchronized Backend weight(String name, int weight) {
        Backend before = current(name);
        if (before == null) {
            return null;
        }
        Backend after = before.withWeight(weight);
        set(name, new Change(after, drainDeadline(name)));
        return after;
    }

    /** Records an override, or drops it when it says exactly what the sources say; then pushes. */
    private void set(String name, Change o) {
        Backend fromBase = base == null ? null : base.get(name);
        if (fromBase == null && o.backend() == null
                || fromBase != null && fromBase.equals(o.backend()) && Objects.equals(o.deadline(), sourceDeadline(name))) {
            overrides.remove(name); // nothing left to override
        } else {
            overrides.put(name, o);
        }
        push();
    }

    @Override
    public synchronized Duration drainDeadline(String name) {
        Change o = overrides.get(name);
        if (o != null) {
            return o.deadline();
        }
        return sourceDeadline(name);
    }

    private Duration sourceDeadline(String name) {
        return sources instanceof DrainDeadlines ? ((DrainDeadlines) sources).drainDeadline(name) : null;
    }

    /** The sources' entries with the overrides applied, then the backends only the API added. */
    private void push() {
        if (sink == null || base == null || closed) {
            return;
        }
        List<Backend> effective = new ArrayList<>();
        for (Map.Entry<String, Backend> e : base.entrySet()) {
            Change o = overrides.get(e.getKey());
            if (o == null) {
                effective.add(e.getValue());
            } else if (o.backend() != null) {
                effective.add(o.backend());
            }
        }
        for (Map.Entry<String, Change> e : overrides.entrySet()) {
            if (!base.containsKey(e.getKey()) && e.getValue().backend() != null) {
                effective.add(e.getValue().backend());
            }
        }
        sink.accept(List.copyOf(effective));
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        sources.close();
    }
}
