package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Several registries as one: each source's latest snapshot is kept, and their union (first source
 * wins when two list the same name) is pushed whenever any of them changes. Lets the CLI combine
 * {@code --backend} with a file and DNS sources; nothing is pushed until every source has pushed once.
 */
public final class CompositeRegistry implements BackendRegistry {
    private final List<BackendRegistry> sources;
    private final List<List<Backend>> latest = new ArrayList<>();
    private Consumer<List<Backend>> sink;

    /** The union of {@code sources}, in that order of precedence. */
    public CompositeRegistry(List<BackendRegistry> sources) {
        this.sources = List.copyOf(sources);
        for (int i = 0; i < this.sources.size(); i++) {
            latest.add(null);
        }
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
        for (List<Backend> list : latest) {
            if (list == null) {
                return; // a source has not pushed yet
            }
            for (Backend b : list) {
                union.putIfAbsent(b.name(), b);
            }
        }
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
