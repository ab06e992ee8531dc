package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Several registries as one: each source's latest snapshot is kept, and their union (first source
 * wins when two list the same name) is pushed whenever any of them changes. Lets the CLI combine
 * {@code --backend} with a file and DNS sources; nothing is pushed until every source has pushed once.
 */
public final class CompositeRegistry implements BackendRegistry, DrainDeadlines {
    private final List<BackendRegistry> sources;
    private final List<String> labels;
    private final List<List<Backend>> latest = new ArrayList<>();
    /** Which source each name of the last union came from. */
    private volatile Map<String, Integer> owners = Map.of();
    private Consumer<List<Backend>> sink;

    /** The union of {@code sources}, in that order of precedence. */
    public CompositeRegistry(List<BackendRegistry> sources) {
        this(sources, null);
    }

    /**
     * The union of {@code sources}, in that order of precedence, each with a label that
     * {@link #source(String)} reports (the CLI's {@code cli}, {@code file}, {@code dns}).
     */
    public CompositeRegistry(List<BackendRegistry> sources, List<String> labels) {
        this.sources = List.copyOf(sources);
        this.labels = labels == null ? null : List.copyOf(labels);
        if (this.labels != null && this.labels.size() != this.sources.size()) {
            throw new IllegalArgumentException("labels: " + labels.size() + " for " + sources.size() + " sources");
        }
        for (int i = 0; i < this.sources.size(); i++) {
            latest.add(null);
        }
    }

    /** The label of the source {@code name} came from in the last union, or {@code null}. */
    public String source(String name) {
        Integer owner = owners.get(name);
        return owner == null || labels == null ? null : labels.get(owner);
    }

    @Override
    public Duration drainDeadline(String name) {
        Integer owner = owners.get(name);
        if (owner == null || !(sources.get(owner) instanceof DrainDeadlines)) {
            return null;
        }
        return ((DrainDeadlines) sources.get(owner)).drainDeadline(name);
    }

    @Override
    public void start(Consumer<List<Backend>> snapshotSink) {
        synchronized (this) {
            sink = snapshotSink;
        }
        int started = 0;
        try {
            for (int i = 0; i < sources.size(); i++) {
                int index = i;
                sources.get(i).start(backends -> update(index, backends));
                started++;
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < started; i++) {
                closeQuietly(sources.get(i));
            }
            throw e;
        }
    }

    private synchronized void update(int index, List<Backend> backends) {
        latest.set(index, List.copyOf(backends));
        Map<String, Backend> union = new LinkedHashMap<>();
        Map<String, Integer> from = new HashMap<>();
        for (int i = 0; i < latest.size(); i++) {
            List<Backend> list = latest.get(i);
            if (list == null) {
                return; // a source has not pushed yet
            }
            for (Backend b : list) {
                if (union.putIfAbsent(b.name(), b) == null) {
                    from.put(b.name(), i);
                }
            }
        }
        owners = from;
        sink.accept(List.copyOf(union.values()));
    }

    @Override
    public void close() {
        for (BackendRegistry source : sources) {
            closeQuietly(source);
        }
    }

    private static void closeQuietly(BackendRegistry source) {
        try {
            source.close();
        } catch (Exception ignored) {
            // closing the others anyway
        }
    }
}
