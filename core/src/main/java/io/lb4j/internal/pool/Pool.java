package io.lb4j.internal.pool;

import io.lb4j.Backend;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthState;
import io.lb4j.internal.Faults;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The backend pool: the registry's latest membership joined to the engine's live state of each
 * member, and the policy's selection built from it. Mutations are serialised (the control thread);
 * event loops read the current {@link Snapshot} through one volatile field, lock-free.
 */
public final class Pool {

    /**
     * One immutable view: members by position and the selection built from them.
     *
     * @param members positions match {@code candidates}
     * @param candidates the list the selection was built from
     * @param selection the policy's picker
     */
    public record Snapshot(BackendState[] members, List<BalancingPolicy.Candidate> candidates,
                           BalancingPolicy.Selection selection) {
    }

    /** What a membership change did. */
    public record Change(List<BackendState> added, List<BackendState> removed) {
    }

    private final BalancingPolicy policy;
    private final int loops;
    private final boolean probed;
    private final Faults faults;
    private final Map<String, BackendState> byName = new LinkedHashMap<>();
    private int nextLoop;
    private boolean applied;
    private volatile Snapshot current;

    /**
     * @param policy builds selections
     * @param loops event loops
     * @param probed whether new backends start unknown (probed) or up (no probe)
     * @param faults where a failing rebuild is counted
     */
    public Pool(BalancingPolicy policy, int loops, boolean probed, Faults faults) {
        this.policy = policy;
        this.loops = loops;
        this.probed = probed;
        this.faults = faults;
        this.current = new Snapshot(new BackendState[0], List.of(), (flow, order) -> 0);
    }

    /** The snapshot in force; safe from any thread. */
    public Snapshot current() {
        return current;
    }

    /** The policy's name. */
    public String policyName() {
        return policy.name();
    }

    /**
     * Applies a full membership snapshot: new names join (resolved here, probed later), missing
     * names leave, known names take the new weight, limit and admin state; then the selection is
     * rebuilt once.
     *
     * @throws IllegalArgumentException when two backends share a name (nothing changes then)
     */
    public synchronized Change apply(List<Backend> backends) {
        Set<String> names = new HashSet<>();
        for (Backend b : backends) {
            if (!names.add(b.name())) {
                throw new IllegalArgumentException("backends: '" + b.name() + "' given twice");
            }
        }
        List<BackendState> added = new ArrayList<>();
        List<BackendState> removed = new ArrayList<>();
        Map<String, BackendState> next = new LinkedHashMap<>();
        for (Backend b : backends) {
            BackendState state = byName.get(b.name());
            if (state == null) {
                InetSocketAddress address = resolve(b);
                state = new BackendState(b, address, loops, nextLoop++ % loops,
                        probed ? HealthState.UNKNOWN : HealthState.UP);
                if (address == null) {
                    state.health(HealthState.DOWN, "unresolved host");
                    state.firstProbe().complete(null);
                }
                if (!applied) {
                    state.initialMember();
                }
                added.add(state);
            } else {
                state.backend(b);
            }
            next.put(b.name(), state);
        }
        for (Map.Entry<String, BackendState> e : byName.entrySet()) {
            if (!next.containsKey(e.getKey())) {
                e.getValue().markRemoved();
                removed.add(e.getValue());
            }
        }
        byName.clear();
        byName.putAll(next);
        applied = true;
        rebuild();
        return new Change(added, removed);
    }

    /** Rebuilds the selection from the current members (after a health or admin change). */
    public synchronized void rebuild() {
        BackendState[] members = byName.values().toArray(new BackendState[0]);
        List<BalancingPolicy.Candidate> candidates = List.of(members);
        Snapshot before = current;
        try {
            BalancingPolicy.Selection selection = policy.rebuild(candidates, before.selection());
            if (selection == null) {
                throw new IllegalStateException(policy.name() + ".rebuild returned null");
            }
            current = new Snapshot(members, candidates, selection);
        } catch (RuntimeException e) {
            faults.record("policy rebuild", e);
        }
    }

    /** Members now, in registry order. */
    public synchronized List<BackendState> members() {
        return List.copyOf(byName.values());
    }

    private static InetSocketAddress resolve(Backend b) {
        try {
            return new InetSocketAddress(InetAddress.getByName(b.host()), b.port());
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }
}
