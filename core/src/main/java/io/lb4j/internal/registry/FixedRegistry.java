package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** {@link BackendRegistry#fixed(List)}: pushes its list once, at start. */
public final class FixedRegistry implements BackendRegistry {
    private final List<Backend> backends;

    /** Copies the list; a name given twice is refused now rather than at start. */
    public FixedRegistry(List<Backend> backends) {
        this.backends = List.copyOf(backends);
        Set<String> names = new HashSet<>();
        for (Backend b : this.backends) {
            if (!names.add(b.name())) {
                throw new IllegalArgumentException("backend: '" + b.name() + "' given twice (expected: each backend once)");
            }
        }
    }

    @Override
    public void start(Consumer<List<Backend>> sink) {
        sink.accept(backends);
    }
}
