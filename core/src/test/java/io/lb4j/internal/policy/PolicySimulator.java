package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import io.lb4j.BalancingPolicy.Candidate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays a trace of connections, joins, leaves and health flaps against a policy, as the engine
 * would drive it (a rebuild after every membership or health change, active counts kept across
 * rebuilds), and reports the spread of connections and how many probe flows moved between
 * snapshots. Use it to test your own policy: one command per line,
 *
 * <pre>
 * join NAME WEIGHT    leave NAME    down NAME    up NAME
 * connect N           (N new connections from the trace's client generator; they stay open)
 * close-all           snapshot  (where each of the probe flows would go now)
 * </pre>
 */
final class PolicySimulator {
    /** What a replay produced. */
    record Report(Map<String, Integer> active, List<Map<Integer, String>> snapshots) {
        /** Fraction of probe flows whose backend differs between snapshots {@code a} and {@code b}. */
        double moved(int a, int b) {
            Map<Integer, String> x = snapshots.get(a);
            Map<Integer, String> y = snapshots.get(b);
            int moved = 0;
            for (Map.Entry<Integer, String> e : x.entrySet()) {
                if (!java.util.Objects.equals(e.getValue(), y.get(e.getKey()))) {
                    moved++;
                }
            }
            return (double) moved / x.size();
        }

        /** Probe flows of snapshot {@code a} that were on {@code backend}. */
        long on(int a, String backend) {
            return snapshots.get(a).values().stream().filter(backend::equals).count();
        }
    }

    private final BalancingPolicy policy;
    private final int probeFlows;
    private final Map<String, TestCandidate> members = new LinkedHashMap<>();
    private BalancingPolicy.Selection selection;
    private int nextClient;

    /**
     * @param policy under test
     * @param probeFlows how many fixed flows each snapshot places
     */
    PolicySimulator(BalancingPolicy policy, int probeFlows) {
        this.policy = policy;
        this.probeFlows = probeFlows;
    }

    Report replay(String trace) {
        List<Map<Integer, String>> snapshots = new ArrayList<>();
        for (String line : trace.strip().split("\n")) {
            String[] w = line.strip().split("\\s+");
            switch (w[0]) {
                case "join": members.put(w[1], new TestCandidate(w[1], Integer.parseInt(w[2]))); rebuild(); break;
                case "leave": members.remove(w[1]); rebuild(); break;
                case "down": members.get(w[1]).usable = false; rebuild(); break;
                case "up": members.get(w[1]).usable = true; rebuild(); break;
                case "connect":
                    for (int i = Integer.parseInt(w[1]); i > 0; i--) {
                        String chosen = place(flow(nextClient++));
                        if (chosen != null) {
                            members.get(chosen).active++;
                        }
                    }
                    break;
                case "close-all": members.values().forEach(c -> c.active = 0); break;
                case "snapshot": snapshots.add(snapshot()); break;
                default: throw new IllegalArgumentException("trace: '" + line + "'");
            }
        }
        Map<String, Integer> active = new LinkedHashMap<>();
        members.forEach((name, c) -> active.put(name, c.active));
        return new Report(active, snapshots);
    }

    private void rebuild() {
        selection = policy.rebuild(new ArrayList<Candidate>(members.values()), selection);
    }

    private Map<Integer, String> snapshot() {
        Map<Integer, String> placed = new LinkedHashMap<>();
        for (int i = 0; i < probeFlows; i++) {
            placed.put(i, place(flow(1_000_000 + i)));
        }
        return placed;
    }

    private String place(BalancingPolicy.Flow flow) {
        int[] order = new int[1];
        List<TestCandidate> list = new ArrayList<>(members.values());
        return selection != null && selection.pick(flow, order) == 1 ? list.get(order[0]).backend().name() : null;
    }

    /** Client {@code n}: distinct addresses in 100.64.0.0/10, port from n. */
    private static BalancingPolicy.Flow flow(int n) {
        return TestFlow.of(0x64400000 + n * 13, 1024 + n % 60000, 443);
    }
}
