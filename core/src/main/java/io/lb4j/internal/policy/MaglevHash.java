package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Azure's distribution modes ({@code five-tuple}, {@code source-ip}, {@code source-ip-protocol}) over a
 * {@link MaglevTable}: the key's slot names the backend, and the slots after it are that key's
 * fallback order. The table is built from the configured members and weights only and reused while
 * they stay the same, so health, drain and admin changes move only the flows of the backend concerned
 * (a pick walks past an unusable owner) and those flows return when it does.
 */
public final class MaglevHash implements BalancingPolicy {
    /** IANA protocol number of TCP, hashed into every key. */
    static final int TCP = 6;

    /** Which parts of the flow make the key. */
    enum Key { FIVE_TUPLE, SOURCE_IP, SOURCE_IP_PROTOCOL }

    private final String name;
    private final Key key;
    private final int tableSize;

    /**
     * @param key which parts of the flow are hashed
     * @param tableSize a prime, see {@link MaglevTable#checkSize}
     */
    MaglevHash(Key key, int tableSize) {
        this.key = key;
        this.tableSize = MaglevTable.checkSize(tableSize);
        this.name = key.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Client IP and port, protocol, frontend port. */
    public static MaglevHash fiveTuple(int tableSize) {
        return new MaglevHash(Key.FIVE_TUPLE, tableSize);
    }

    /** Client IP. */
    public static MaglevHash sourceIp(int tableSize) {
        return new MaglevHash(Key.SOURCE_IP, tableSize);
    }

    /** Client IP and protocol. */
    public static MaglevHash sourceIpProtocol(int tableSize) {
        return new MaglevHash(Key.SOURCE_IP_PROTOCOL, tableSize);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Selection rebuild(List<Candidate> candidates, Selection previous) {
        int n = candidates.size();
        Integer[] byName = new Integer[n];
        for (int i = 0; i < n; i++) {
            byName[i] = i;
        }
        Arrays.sort(byName, Comparator.comparing(i -> candidates.get(i).backend().name()));
        String[] names = new String[n];
        int[] weights = new int[n];
        int[] positions = new int[n];
        int usable = 0;
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(byName[i]);
            names[i] = c.backend().name();
            weights[i] = c.weight();
            positions[i] = byName[i];
            if (c.usable()) {
                usable++;
            }
        }
        MaglevTable table = previous instanceof Picker && ((Picker) previous).table.sameInputs(names, weights, tableSize)
                ? ((Picker) previous).table
                : MaglevTable.build(names, weights, tableSize);
        return new Picker(table, candidates.toArray(new Candidate[0]), positions, usable, key);
    }

    /** The key hash of {@code flow} under maglev-v1 (see {@code docs/MAGLEV.md}); allocation-free for IPv4. */
    static long keyHash(Key key, Flow flow) {
        InetSocketAddress client = flow.client();
        InetAddress address = client.getAddress();
        long h = MaglevTable.fnvStart();
        if (address instanceof Inet4Address) {
            int ip = address.hashCode(); // Inet4Address's hash code is its address, big-endian
            h = MaglevTable.fnv1a(h, ip >>> 24);
            h = MaglevTable.fnv1a(h, ip >>> 16);
            h = MaglevTable.fnv1a(h, ip >>> 8);
            h = MaglevTable.fnv1a(h, ip);
        } else if (address != null) {
            for (byte b : address.getAddress()) {
                h = MaglevTable.fnv1a(h, b);
            }
        }
        // source-ip hashes TCP's number too, so that it maps exactly as source-ip-protocol does (CLI.md)
        h = MaglevTable.fnv1a(h, TCP);
        if (key == Key.FIVE_TUPLE) {
            int port = client.getPort();
            h = MaglevTable.fnv1a(h, port >>> 8);
            h = MaglevTable.fnv1a(h, port);
            int frontendPort = flow.frontend().getPort();
            h = MaglevTable.fnv1a(h, frontendPort >>> 8);
            h = MaglevTable.fnv1a(h, frontendPort);
        }
        return MaglevTable.mix(h);
    }

    /** One table with the live candidates of one rebuild. */
    static final class Picker implements Selection {
        final MaglevTable table;
        private final Candidate[] candidates;
        private final int[] positions;
        private final int usableAtRebuild;
        private final Key key;

        Picker(MaglevTable table, Candidate[] candidates, int[] positions, int usableAtRebuild, Key key) {
            this.table = table;
            this.candidates = candidates;
            this.positions = positions;
            this.usableAtRebuild = usableAtRebuild;
            this.key = key;
        }

        @Override
        public int pick(Flow flow, int[] order) {
            return walk(table.slotOf(keyHash(key, flow)), order);
        }

        /**
         * The distinct owners of the slots from the key's own slot on, usable or not: the first is the
         * key's slot owner, the rest its fallback order (the pick walks past the unusable ones).
         */
        @Override
        public int explain(Flow flow, int[] order) {
            int slot = table.slotOf(keyHash(key, flow));
            int limit = Math.min(order.length, candidates.length);
            int size = table.size();
            int written = 0;
            for (int step = 0; step < size && written < limit; step++) {
                int position = positions[table.owner(slot)];
                if (!contains(order, written, position)) {
                    order[written++] = position;
                }
                if (++slot == size) {
                    slot = 0;
                }
            }
            return written;
        }

        /**
         * Writes the usable owners of the slots from {@code slot} on, without repeats. Stops when
         * {@code order} is full, when as many were found as were usable at the rebuild, or after one
         * lap of the table; typically a few steps.
         */
        int walk(int slot, int[] order) {
            int limit = Math.min(order.length, usableAtRebuild);
            int size = table.size();
            int written = 0;
            for (int step = 0; step < size && written < limit; step++) {
                int position = positions[table.owner(slot)];
                if (candidates[position].usable() && !contains(order, written, position)) {
                    order[written++] = position;
                }
                if (++slot == size) {
                    slot = 0;
                }
            }
            return written;
        }

        private static boolean contains(int[] order, int count, int position) {
            for (int i = 0; i < count; i++) {
                if (order[i] == position) {
                    return true;
                }
            }
            return false;
        }
    }
}
