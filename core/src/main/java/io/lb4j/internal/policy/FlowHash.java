package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Azure's distribution modes as rendezvous (highest random weight) hashing: each backend scores
 * every flow key, the highest usable score wins and the next highest are the fallbacks. A backend's
 * score depends only on its name and the key, so the choice is independent of the order backends are
 * given in and of which instance computes it, and when a backend becomes unusable only its own flows
 * move. O(backends) per pick; the Maglev table replaces this for large pools.
 */
public final class FlowHash implements BalancingPolicy {
    private static final int TCP = 6;

    private final String name;
    private final boolean withPorts;

    private FlowHash(String name, boolean withPorts) {
        this.name = name;
        this.withPorts = withPorts;
    }

    /** Client IP and port, protocol, frontend port. */
    public static FlowHash fiveTuple() {
        return new FlowHash("five-tuple", true);
    }

    /** Client IP. */
    public static FlowHash sourceIp() {
        return new FlowHash("source-ip", false);
    }

    /** Client IP and protocol. */
    public static FlowHash sourceIpProtocol() {
        return new FlowHash("source-ip-protocol", false);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Selection rebuild(List<Candidate> candidates, Selection previous) {
        Candidate[] members = candidates.toArray(new Candidate[0]);
        long[] seeds = new long[members.length];
        for (int i = 0; i < members.length; i++) {
            seeds[i] = fnv1a(members[i].backend().name().getBytes(StandardCharsets.UTF_8));
        }
        return (flow, order) -> pick(members, seeds, key(flow), order);
    }

    private long key(Flow flow) {
        InetSocketAddress client = flow.client();
        byte[] ip = client.getAddress() == null ? new byte[0] : client.getAddress().getAddress();
        long h = fnv1a(ip);
        h = mix(h ^ TCP);
        if (withPorts) {
            h = mix(h ^ ((long) client.getPort() << 16) ^ flow.frontend().getPort());
        }
        return h;
    }

    private static int pick(Candidate[] members, long[] seeds, long key, int[] order) {
        int written = 0;
        double ceiling = Double.POSITIVE_INFINITY;
        int ceilingPosition = -1;
        while (written < order.length) {
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < members.length; i++) {
                if (!members[i].usable()) {
                    continue;
                }
                double score = score(seeds[i], key, members[i].weight());
                // strictly below the last pick (ties broken by position) keeps the order free of repeats
                boolean below = score < ceiling || (score == ceiling && i > ceilingPosition);
                if (below && (score > bestScore || (score == bestScore && i < best))) {
                    best = i;
                    bestScore = score;
                }
            }
            if (best < 0) {
                break;
            }
            order[written++] = best;
            ceiling = bestScore;
            ceilingPosition = best;
        }
        return written;
    }

    /** Weighted rendezvous score: -weight / ln(u), u uniform in (0, 1) from the mixed hash. */
    private static double score(long seed, long key, int weight) {
        long h = mix(seed ^ key);
        double u = ((h >>> 11) + 0.5) / (double) (1L << 53);
        return -weight / Math.log(u);
    }

    static long fnv1a(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The finaliser of SplitMix64. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
