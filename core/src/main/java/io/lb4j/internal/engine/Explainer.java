package io.lb4j.internal.engine;

import io.lb4j.Backend;
import io.lb4j.BalancingPolicy;
import io.lb4j.Explanation;
import io.lb4j.HealthState;
import io.lb4j.internal.Faults;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Pool;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Answers {@link io.lb4j.Balancer#explain}: the policy's order for an asked client, read from the
 * current selection without advancing any policy state, and for every backend whether a new connection
 * would use it and why not. Apart from the engine so that the answer is computed in one place from the
 * pool's snapshot alone.
 */
final class Explainer {
    private static final Set<String> HASH_POLICIES = Set.of("five-tuple", "source-ip", "source-ip-protocol");

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
        boolean hash = HASH_POLICIES.contains(pool.policyName());
        boolean chosen = false;
        for (int i = 0; i < Math.min(count, order.length); i++) {
            int position = order[i];
            if (position < 0 || position >= members.length || listed[position]) {
                continue;
            }
            listed[position] = true;
            BackendState m = members[position];
            String detail = hash && i == 0 ? "slot owner" : null;
            String reason = unusable(m);
            if (reason == null) {
                if (attempts == 0) {
                    reason = "beyond-connect-attempts";
                } else {
                    attempts--;
                    if (m.address() == null) {
                        reason = "unresolved";
                    } else if (m.backend().maxConnections() > 0
                            && m.activeConnections() >= m.backend().maxConnections()) {
                        reason = "connection-limit";
                        detail = join(detail, m.activeConnections() + " of " + m.backend().maxConnections());
                    } else if (chosen) {
                        reason = "fallback";
                    } else {
                        chosen = true;
                    }
                }
            }
            choices.add(new Explanation.Choice(m.backend(), reason == null, reason, join(detail, why(m, reason))));
        }
        for (int position = 0; position < members.length; position++) {
            if (!listed[position]) {
                BackendState m = members[position];
                String reason = unusable(m);
                reason = reason != null ? reason : "not-chosen";
                choices.add(new Explanation.Choice(m.backend(), false, reason, why(m, reason)));
            }
        }
        return new Explanation(client, pool.policyName(), choices);
    }


    /** Why a member takes no new connection now, or {@code null} when it is usable. */
    private static String unusable(BackendState m) {
        if (m.usable()) {
            return null;
        }
        if (m.removed()) {
            return "removed";
        }
        if (m.backend().adminState() == Backend.AdminState.DOWN) {
            return "admin-down";
        }
        if (m.backend().adminState() == Backend.AdminState.DRAIN || m.draining()) {
            return "draining";
        }
        if (m.health() != HealthState.UP) {
            return "unhealthy";
        }
        return "unusable";
    }

    private static String why(BackendState m, String reason) {
        if ("unhealthy".equals(reason)) {
            return m.health().name().toLowerCase() + " since " + Instant.ofEpochMilli(m.healthSinceMillis())
                    + ": " + m.reason();
        }
        if ("draining".equals(reason) && m.draining()) {
            return "paced drain";
        }
        long up = m.upSinceNanos();
        if (reason == null && up != Long.MIN_VALUE) {
            return "up " + (System.nanoTime() - up) / 1_000_000_000L + " s (a slow start ramps from then)";
        }
        return null;
    }

    private static String join(String a, String b) {
        return a == null ? b : b == null ? a : a + "; " + b;
    }
}
