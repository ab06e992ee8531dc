package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@link BackendRegistry#dynamic()}: members kept by name under one lock, a full snapshot pushed on
 * every change. Pushing while holding the lock keeps snapshots in call order across threads; the
 * engine's sink only queues, so the lock is held for microseconds.
 */
public final class DynamicRegistry implements BackendRegistry.Dynamic {
    private final Map<String, Backend> members = new LinkedHashMap<>();
    private Consumer<List<Backend>> sink;
    private boolean closed;

    /** Starts with {@code initial}; two of the same name are refused. */
    public DynamicRegistry(List<Backend> initial) {
        for (Backend b : initial) {
            Objects.requireNonNull(b, "backend");
            if (members.putIfAbsent(b.name(), b) != null) {
                throw new IllegalArgumentException("backends: '" + b.name() + "' given twice");
            }
        }
    }

    @Override
    public synchronized void start(Consumer<List<Backend>> snapshotSink) {
        if (sink != null) {
            throw new IllegalStateException("start: dynamic registry already started (one balancer per registry)");
        }
        this.sink = Objects.requireNonNull(snapshotSink, "sink");
        push();
    }

    @Override
    public synchronized void add(Backend backend) {
        Objects.requireNonNull(backend, "backend");
        members.put(backend.name(), backend);
        push();
    }

    @Override
    public synchronized boolean remove(String name) {
        Objects.requireNonNull(name, "name");
        if (members.remove(name) == null) {
            return false;
        }
        push();
        return true;
    }

    @Override
    public synchronized void setWeight(String name, int weight) {
        Backend b = member(name);
        members.put(name, b.withWeight(weight));
        push();
    }

    @Override
    public synchronized void setAdminState(String name, Backend.AdminState state) {
        Objects.requireNonNull(state, "state");
        Backend b = member(name);
        members.put(name, b.withAdminState(state));
        push();
    }

    @Override
    public synchronized List<Backend> backends() {
        return List.copyOf(members.values());
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private Backend member(String name) {
        Objects.requireNonNull(name, "name");
        Backend b = members.get(name);
        if (b == null) {
            throw new IllegalArgumentException("backend: '" + name + "' (expected: the name of a member, such as "
                    + (members.isEmpty() ? "HOST:PORT" : members.keySet().iterator().next()) + ")");
        }
        return b;
    }

    private void push() {
        if (sink != null && !closed) {
            sink.accept(List.copyOf(new ArrayList<>(members.values())));
        }
    }
}
