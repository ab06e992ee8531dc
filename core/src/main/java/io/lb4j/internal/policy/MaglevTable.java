package io.lb4j.internal.policy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * A weighted Maglev lookup table (Eisenbud et al., NSDI 2016, section 3.4), exactly as
 * {@code docs/MAGLEV.md} defines version {@code maglev-v1}: every slot names one backend, and a flow key
 * hashes to a slot. The table depends only on the backends' names, weights and the table size, never
 * on their order or on which process builds it, so independent balancers agree without talking.
 */
public final class MaglevTable {
    /** The default table size: a prime, so every skip generates a full permutation. */
    public static final int DEFAULT_SIZE = 65537;
    /** The largest accepted table size (the largest prime below 2^24; 64 MiB of slots). */
    public static final int MAX_SIZE = 16_777_213;
    /** XORed into a backend's name hash before mixing, for the permutation's offset. */
    static final long OFFSET_SEED = 0x9e3779b97f4a7c15L;
    /** XORed into a backend's name hash before mixing, for the permutation's skip. */
    static final long SKIP_SEED = 0xc2b2ae3d27d4eb4fL;
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private final String[] names;
    private final int[] weights;
    private final int[] slots;

    private MaglevTable(String[] names, int[] weights, int[] slots) {
        this.names = names;
        this.weights = weights;
        this.slots = slots;
    }

    /**
     * Builds the table.
     *
     * @param names backend names, unique, in any order
     * @param weights their weights (1 or more), same order as {@code names}
     * @param size a prime between 3 and {@link #MAX_SIZE}, at least the number of backends
     * @throws IllegalArgumentException for a bad size, duplicate names or weights below 1
     */
    public static MaglevTable build(String[] names, int[] weights, int size) {
        checkSize(size);
        int n = names.length;
        if (weights.length != n) {
            throw new IllegalArgumentException("weights: " + weights.length + " for " + n + " names");
        }
        if (n > size) {
            throw new IllegalArgumentException("maglev table size: " + size + " (expected: >= backends, " + n + ")");
        }
        Integer[] byName = new Integer[n];
        for (int i = 0; i < n; i++) {
            byName[i] = i;
        }
        Arrays.sort(byName, Comparator.comparing(i -> names[i]));
        String[] sortedNames = new String[n];
        int[] sortedWeights = new int[n];
        int maxWeight = 1;
        for (int i = 0; i < n; i++) {
            sortedNames[i] = names[byName[i]];
            sortedWeights[i] = weights[byName[i]];
            if (sortedWeights[i] < 1) {
                throw new IllegalArgumentException("weight of " + sortedNames[i] + ": " + sortedWeights[i]
                        + " (expected: >= 1)");
            }
            if (i > 0 && sortedNames[i].equals(sortedNames[i - 1])) {
                throw new IllegalArgumentException("backends: '" + sortedNames[i] + "' given twice");
            }
            maxWeight = Math.max(maxWeight, sortedWeights[i]);
        }
        int[] slots = new int[size];
        Arrays.fill(slots, -1);
        if (n == 0) {
            return new MaglevTable(sortedNames, sortedWeights, slots);
        }
        int[] next = new int[n];
        int[] skip = new int[n];
        long[] target = new long[n];
        for (int i = 0; i < n; i++) {
            long h = fnv1a(sortedNames[i].getBytes(StandardCharsets.UTF_8));
            next[i] = (int) Long.remainderUnsigned(mix(h ^ OFFSET_SEED), size);
            skip[i] = (int) Long.remainderUnsigned(mix(h ^ SKIP_SEED), size - 1) + 1;
        }
        // Envoy's weighted variant of the paper's population loop: in round r, backend i takes its
        // turn when r * weight >= target, then raises target by the largest weight, so a backend of
        // weight w takes w / maxWeight of the turns of the heaviest one.
        int filled = 0;
        for (long round = 0; filled < size; round++) {
            filled = fillRound(round, slots, sortedWeights, maxWeight, next, skip, target, filled);
        }
        return new MaglevTable(sortedNames, sortedWeights, slots);
    }

    /**
     * One round of the population loop; returns the slots filled so far. A method of its own so that
     * the JIT compiles it after a few hundred rounds: filling 65,537 slots takes about 700,000 probes,
     * which cost about 10 ms in the interpreter on a balancer's first start, where one long call would
     * run interpreted until on-stack replacement.
     */
    private static int fillRound(long round, int[] slots, int[] weights, int maxWeight, int[] next, int[] skip,
                                 long[] target, int filled) {
        int size = slots.length;
        for (int i = 0; i < weights.length && filled < size; i++) {
            if (round * weights[i] < target[i]) {
                continue;
            }
            target[i] += maxWeight;
            int c = next[i];
            while (slots[c] >= 0) {
                c += skip[i];
                if (c >= size) {
                    c -= size;
                }
            }
            slots[c] = i;
            c += skip[i];
            next[i] = c >= size ? c - size : c;
            filled++;
        }
        return filled;
    }

    /** Rejects a size that is not a prime in 3..{@link #MAX_SIZE}, naming the setting. */
    public static int checkSize(int size) {
        if (size < 3 || size > MAX_SIZE || !isPrime(size)) {
            throw new IllegalArgumentException("maglevTableSize: " + size + " (expected: a prime 3-" + MAX_SIZE
                    + ", such as " + DEFAULT_SIZE + ")");
        }
        return size;
    }

    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        for (int d = 2; (long) d * d <= n; d++) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }

    /** Slots in the table. */
    public int size() {
        return slots.length;
    }

    /** Backends in the table. */
    public int backends() {
        return names.length;
    }

    /** The backend (index in name order) owning {@code slot}, or -1 in a table of no backends. */
    public int owner(int slot) {
        return slots[slot];
    }

    /** The name of the backend at {@code index} in name order. */
    public String name(int index) {
        return names[index];
    }

    /** The slot of a key hash: its unsigned remainder by the size. */
    public int slotOf(long keyHash) {
        return (int) Long.remainderUnsigned(keyHash, slots.length);
    }

    /** Whether this table was built from exactly these sorted names, weights and size. */
    boolean sameInputs(String[] sortedNames, int[] sortedWeights, int size) {
        return size == slots.length && Arrays.equals(names, sortedNames) && Arrays.equals(weights, sortedWeights);
    }

    /** The slots as backend names (tests, golden vectors). */
    public String[] ownersByName() {
        String[] owners = new String[slots.length];
        for (int i = 0; i < slots.length; i++) {
            owners[i] = slots[i] < 0 ? null : names[slots[i]];
        }
        return owners;
    }

    /** 64-bit FNV-1a of {@code bytes}. */
    static long fnv1a(byte[] bytes) {
        long h = FNV_OFFSET;
        for (byte b : bytes) {
            h = fnv1a(h, b);
        }
        return h;
    }

    /** One FNV-1a step: the low 8 bits of {@code b} into {@code h}. */
    static long fnv1a(long h, int b) {
        return (h ^ (b & 0xff)) * FNV_PRIME;
    }

    /** The start of an FNV-1a hash. */
    static long fnvStart() {
        return FNV_OFFSET;
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
