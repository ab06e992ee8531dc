package io.lb4j.internal.pool;

import io.lb4j.Backend;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthState;
import io.lb4j.internal.Faults;
import io.lb4j.internal.TokenBucket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

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

    /**
     * What a membership change did.
     *
     * @param added members that joined (to be probed)
     * @param removed members that left (no new connections; open ones keep running)
     * @param adminDown kept members whose admin state became {@code DOWN} (open connections to close)
     * @param adminUp kept members whose admin state left {@code DOWN} (to be probed again at once)
     */
    public record Change(List<BackendState> added, List<BackendState> removed, List<BackendState> adminDown,
                         List<BackendState> adminUp) {
    }

    private static final System.Logger LOG = System.getLogger("io.lb4j");

    private final BalancingPolicy policy;
    private final int loops;
    private final boolean probed;
    private final HealthState initial;
    private final boolean panicMode;
    private final AtomicBoolean panic = new AtomicBoolean();
    private final Faults faults;
    private final Map<String, BackendState> byName = new LinkedHashMap<>();
    private int nextLoop;
    private boolean applied;
    private int connectRate;
    private volatile Snapshot current;
    private volatile Runnable rebuilt = () -> { };
    private Consumer<BackendState> slotFreed;

    /**
     * @param policy builds selections
     * @param loops event loops
     * @param probed whether new backends start unknown (probed) or up (no probe)
     * @param faults where a failing rebuild is counted
     */
    public Pool(BalancingPolicy policy, int loops, boolean probed, Faults faults) {
        this(policy, loops, probed, HealthState.UNKNOWN, false, faults);
    }

    /**
     * @param policy builds selections
     * @param loops event loops
     * @param probed whether new backends are probed (else they are up at once)
     * @param initial the health of a probed backend before its first probe
     * @param panicMode whether, when no backend is healthy, every admin-up backend takes connections
     * @param faults where a failing rebuild is counted
     */
    public Pool(BalancingPolicy policy, int loops, boolean probed, HealthState initial, boolean panicMode,
                Faults faults) {
        this.policy = policy;
        this.loops = loops;
        this.probed = probed;
        this.initial = initial;
        this.panicMode = panicMode;
        this.faults = faults;
        this.current = new Snapshot(new BackendState[0], List.of(), (flow, order) -> 0);
    }

    /** The snapshot in force; safe from any thread. */
    public Snapshot current() {
        return current;
    }

    /** The policy that builds the selections. */
    public BalancingPolicy policy() {
        return policy;
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
        List<BackendState> adminDown = new ArrayList<>();
        List<BackendState> adminUp = new ArrayList<>();
        Map<String, BackendState> next = new LinkedHashMap<>();
        for (Backend b : backends) {
            BackendState state = byName.get(b.name());
            if (state == null) {
                InetSocketAddress address = resolve(b);
                state = new BackendState(b, address, loops, nextLoop++ % loops,
                        probed ? initial : HealthState.UP, probed, panic);
                if (address == null) {
                    state.health(HealthState.DOWN, "unresolved host");
                    state.firstProbe().complete(null);
                }
                if (!applied) {
                    state.initialMember();
                }
                if (connectRate > 0) {
                    state.connectRate(new TokenBucket(connectRate, connectRate, System.nanoTime()));
                }
                state.slotFreed(slotFreed);
                added.add(state);
            } else {
                Backend.AdminState before = state.backend().adminState();
                state.backend(b);
                if (before != b.adminState() && b.adminState() == Backend.AdminState.DOWN) {
                    adminDown.add(state);
                } else if (before == Backend.AdminState.DOWN && b.adminState() != Backend.AdminState.DOWN) {
                    adminUp.add(state);
                }
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
        return new Change(added, removed, adminDown, adminUp);
    }

    /**
     * Paces new connections to each backend that joins from now on to {@code perSecond} (burst: one
     * second's worth); call before the first snapshot. 0 = unpaced.
     */
    public synchronized void connectRate(int perSecond) {
        this.connectRate = perSecond;
    }

    /** Rebuilds the selection from the current members (after a health or admin change). */
    public synchronized void rebuild() {
        BackendState[] members = byName.values().toArray(new BackendState[0]);
        List<BalancingPolicy.Candidate> candidates = List.of(members);
        Snapshot before = current;
        updatePanic(members);
        try {
            BalancingPolicy.Selection selection = policy.rebuild(candidates, before.selection());
            if (selection == null) {
                throw new IllegalStateException(policy.name() + ".rebuild returned null");
            }
            current = new Snapshot(members, candidates, selection);
        } catch (RuntimeException e) {
            faults.record("policy rebuild", e);
        }
        rebuilt.run();
    }

    /**
     * Hands every slot a member gives back ({@link BackendState#release()}) to {@code listener}, on the
     * releasing thread; call before the first snapshot.
     */
    public synchronized void onSlotFreed(Consumer<BackendState> listener) {
        this.slotFreed = listener;
    }

    /**
     * Runs {@code action} after each rebuild (health, admin state, membership or limits changed), on
     * the rebuilding thread, under this pool's lock: it must be short and must not call back here.
     */
    public void onRebuilt(Runnable action) {
        this.rebuilt = action;
    }

    /** Whether every backend is unhealthy and panic mode sends to all of them anyway. */
    public boolean panic() {
        return panic.get();
    }

    /**
     * Panic (Envoy's name) when asked for and no admin-up member is healthy: health is then ignored,
     * so traffic goes to every admin-up member rather than nowhere.
     */
    private void updatePanic(BackendState[] members) {
        boolean healthy = false;
        boolean adminUp = false;
        for (BackendState m : members) {
            if (!m.removed() && m.backend().adminState() == Backend.AdminState.UP) {
                adminUp = true;
                healthy |= m.health() == HealthState.UP;
            }
        }
        boolean now = panicMode && adminUp && !healthy;
        if (panic.getAndSet(now) != now) {
            LOG.log(now ? System.Logger.Level.WARNING : System.Logger.Level.INFO, now
                    ? "every backend is down: panic mode, connections go to every backend anyway"
                    : "a backend is up again: panic mode ends");
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
