package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.util.List;
import java.util.function.Consumer;

/** {@link BackendRegistry#fixed(List)}: pushes its list once, at start. */
public final class FixedRegistry implements BackendRegistry {
    private final List<Backend> backends;

    /** Copies the list. */
    public FixedRegistry(List<Backend> backends) {
        this.backends = List.copyOf(backends);
    }

    @Override
    public void start(Consumer<List<Backend>> sink) {
        sink.accept(backends);
    }
}
