package io.lb4j.examples.ws;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A custom {@link BackendRegistry}: the host program adds backends and changes their admin state at
 * run time, and each change is pushed to the balancer as a full snapshot. This is the whole plug
 * point: keep the list, push a copy whenever it changes. A registry for Consul, Kubernetes or a
 * database looks the same, with the changes coming from a watch instead of method calls.
 */
public final class MutableRegistry implements BackendRegistry {
    private final List<Backend> backends = new ArrayList<>();
    private Consumer<List<Backend>> sink;

    /**
     * A registry with these backends at start.
     *
     * @param initial the first snapshot
     */
    public MutableRegistry(List<Backend> initial) {
        backends.addAll(initial);
    }

    @Override
    public synchronized void start(Consumer<List<Backend>> balancerSink) {
        this.sink = balancerSink;
        push();
    }

    /**
     * Adds a backend (scale out); it is probed before it takes traffic.
     *
     * @param backend the new member
     */
    public synchronized void add(Backend backend) {
        backends.add(backend);
        push();
    }

    /**
     * Sets the admin state of the backend with this name, e.g. {@link Backend.AdminState#DRAIN}.
     *
     * @param name {@code HOST:PORT} as in {@link Backend#name()}
     * @param state the new admin state
     */
    public synchronized void setAdminState(String name, Backend.AdminState state) {
        for (int i = 0; i < backends.size(); i++) {
            if (backends.get(i).name().equals(name)) {
                backends.set(i, backends.get(i).withAdminState(state));
                push();
                return;
            }
        }
        throw new IllegalArgumentException("backend: '" + name + "' (expected: a member of the registry)");
    }

    /**
     * Removes the backend with this name (scale in); its open connections keep running.
     *
     * @param name {@code HOST:PORT} as in {@link Backend#name()}
     */
    public synchronized void remove(String name) {
        if (backends.removeIf(b -> b.name().equals(name))) {
            push();
        }
    }

    /** Pushes under the lock, so the balancer receives snapshots in the order they were made. */
    private void push() {
        if (sink != null) {
            sink.accept(List.copyOf(backends));
        }
    }
}
