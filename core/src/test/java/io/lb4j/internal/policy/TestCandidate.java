package io.lb4j.internal.policy;

import io.lb4j.Backend;
import io.lb4j.BalancingPolicy;
import java.util.ArrayList;
import java.util.List;

/** A candidate whose live state a test sets by hand. */
final class TestCandidate implements BalancingPolicy.Candidate {
    private final Backend backend;
    volatile boolean usable = true;
    volatile int active;
    volatile long upSinceNanos = Long.MIN_VALUE;

    TestCandidate(String name, int weight) {
        this.backend = Backend.parse(name).withWeight(weight);
    }

    /** {@code n} candidates named {@code 10.a.b.c:80}, each weight 1. */
    static List<TestCandidate> pool(int n) {
        List<TestCandidate> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new TestCandidate(name(i), 1));
        }
        return list;
    }

    static String name(int i) {
        return "10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff) + ":80";
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public boolean usable() {
        return usable;
    }

    @Override
    public int activeConnections() {
        return active;
    }

    @Override
    public long upSinceNanos() {
        return upSinceNanos;
    }

    @Override
    public String toString() {
        return backend.name() + "(w=" + backend.weight() + ",usable=" + usable + ",active=" + active + ")";
    }
}
