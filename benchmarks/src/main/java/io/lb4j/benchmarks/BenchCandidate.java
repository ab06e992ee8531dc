package io.lb4j.benchmarks;

import io.lb4j.Backend;
import io.lb4j.BalancingPolicy;
import java.util.ArrayList;
import java.util.List;

/** A candidate with fixed state, as the engine's would look between changes. */
final class BenchCandidate implements BalancingPolicy.Candidate {
    private final Backend backend;
    private final int active;
    private final long upSinceNanos;

    BenchCandidate(Backend backend, int active, long upSinceNanos) {
        this.backend = backend;
        this.active = active;
        this.upSinceNanos = upSinceNanos;
    }

    /** {@code n} backends, weights 1-5 and active connections 0-99 from a fixed pattern. */
    static List<BalancingPolicy.Candidate> pool(int n, long upSinceNanos) {
        List<BalancingPolicy.Candidate> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Backend b = Backend.of("10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff), 8080)
                    .withWeight(1 + i % 5);
            list.add(new BenchCandidate(b, (i * 37) % 100, upSinceNanos));
        }
        return list;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public boolean usable() {
        return true;
    }

    @Override
    public int activeConnections() {
        return active;
    }

    @Override
    public long upSinceNanos() {
        return upSinceNanos;
    }
}
