package io.lb4j.internal.engine;

import io.lb4j.BalancingPolicy;
import io.lb4j.Explanation;
import io.lb4j.internal.Faults;
import io.lb4j.internal.policy.MaglevHash;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Pool;
import io.lb4j.internal.pool.Skip;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers {@link io.lb4j.Balancer#explain}: the policy's order for an asked client, read from the
 * current selection without advancing any policy state, and for every backend whether a new connection
 * would use it and why not. Apart from the engine so that the answer is computed in one place from the
 * pool's snapshot alone; why a backend is passed by is {@link BackendState#skip()}, the relay's own rule.
 */
final class Explainer {

    private Explainer() {
    }

    private record AskedFlow(InetSocketAddress client, InetSocketAddress frontend) implements BalancingPolicy.Flow {
    }

    /**
     * The explanation for a connection from {@code client} to {@code frontend}.
     *
     * @param attempts the connect attempts a client gets (backends beyond them are never tried)
     */
    static Explanation explain(InetSocketAddress client, InetSocketAddress frontend, Pool pool, int attempts,
                               Faults faults) {
        Pool.Snapshot snapshot = pool.current();
        BackendState[] members = snapshot.members();
        int[] order = new int[members.length];
        int count;
        try {
            count = snapshot.selection().explain(new AskedFlow(client, frontend), order);
        } catch (RuntimeException e) {
            faults.record("policy explain", e);
            count = 0;
        }
        List<Explanation.Choice> choices = new ArrayList<>();
        boolean[] listed = new boolean[members.length];
        // a consistent hash writes the key's slot owner first, usable or not
        boolean hash = pool.policy() instanceof MaglevHash;
        boolean chosen = false;
        for (int i = 0; i < Math.min(count, order.length); i++) {
            int position = order[i];
            if (position < 0 || position >= members.length || listed[position]) {
                continue;
            }
            listed[position] = true;
            BackendState m = members[position];
            String detail = hash && i == 0 ? "slot owner" : null;
            Skip skip = m.skip();
            String reason;
            if (skip != null && skip.unusable()) {
                reason = skip.reason(); // the pick walks past it: it takes none of the attempts
            } else if (attempts == 0) {
                reason = "beyond-connect-attempts";
            } else {
                attempts--;
                if (skip != null) {
                    reason = skip.reason();
                    detail = join(detail, busy(m, skip));
                } else if (chosen) {
                    reason = "fallback";
                } else {
                    reason = null;
                    chosen = true;
                }
            }
            boolean used = reason == null;
            choices.add(new Explanation.Choice(m.backend(), used, reason, join(detail, why(m, skip, used))));
        }
        for (int position = 0; position < members.length; position++) {
            if (!listed[position]) {
                BackendState m = members[position];
                Skip skip = m.skip();
                String reason = skip != null && skip.unusable() ? skip.reason() : "not-chosen";
                choices.add(new Explanation.Choice(m.backend(), false, reason, why(m, skip, false)));
            }
        }
        return new Explanation(client, pool.policy().name(), choices);
    }

    /** The figures behind a skip at connect time, or {@code null}. */
    private static String busy(BackendState m, Skip skip) {
        if (skip == Skip.CONNECTION_LIMIT) {
            return m.activeConnections() + " of " + m.backend().maxConnections();
        }
        if (skip == Skip.CONNECT_RATE) {
            return "connect rate " + m.connectRate() + "/s spent";
        }
        return null;
    }

    private static String why(BackendState m, Skip skip, boolean used) {
        if (skip == Skip.UNHEALTHY) {
            return m.health().name().toLowerCase() + " since " + Instant.ofEpochMilli(m.healthSinceMillis())
                    + ": " + m.reason();
        }
        if (skip == Skip.DRAINING && m.draining()) {
            return "paced drain";
        }
        long up = m.upSinceNanos();
        if (used && up != Long.MIN_VALUE) {
            return "up " + (System.nanoTime() - up) / 1_000_000_000L + " s (a slow start ramps from then)";
        }
        return null;
    }

    private static String join(String a, String b) {
        return a == null ? b : b == null ? a : a + "; " + b;
    }
}
