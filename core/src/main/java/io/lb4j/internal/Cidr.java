package io.lb4j.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;

/**
 * One IPv4 or IPv6 address range in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a
 * bare address for a single host). Matching compares the raw address bytes against a prefix held as
 * two longs, so a check allocates nothing and costs a few instructions however many ranges a list has.
 */
public final class Cidr {
    private final boolean v4;
    private final int prefix;
    private final long hi;
    private final long lo;
    private final long hiMask;
    private final long loMask;
    private final String text;

    private Cidr(boolean v4, int prefix, long hi, long lo, String text) {
        this.v4 = v4;
        this.prefix = prefix;
        int bits = v4 ? 32 : 128;
        // IPv4 lives in the low 32 bits of hi; IPv6 spans hi (first 64 bits) and lo
        if (v4) {
            this.hiMask = prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
            this.loMask = 0;
        } else {
            this.hiMask = prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
            this.loMask = prefix <= 64 ? 0 : prefix == bits ? -1L : -1L << (128 - prefix);
        }
        this.hi = hi;
        this.lo = lo;
        this.text = text;
    }

    /**
     * Parses {@code ADDRESS/PREFIX} or a bare {@code ADDRESS} (a /32 or /128). Only IP literals are
     * accepted (no name lookup); bits after the prefix must be zero; an IPv4-mapped IPv6 range
     * ({@code ::ffff:10.0.0.0/104}) becomes the IPv4 range it maps.
     *
     * @param setting named in the error message
     * @throws IllegalArgumentException naming {@code setting} when the text is not such a range
     */
    public static Cidr parse(String setting, String cidr) {
        Objects.requireNonNull(cidr, setting);
        int slash = cidr.indexOf('/');
        String host = slash < 0 ? cidr : cidr.substring(0, slash);
        boolean colon = host.indexOf(':') >= 0;
        if (host.isEmpty() || !literal(host, colon) || (!colon && !dottedQuad(host))) {
            throw bad(setting, cidr, "an IPv4 or IPv6 address, optionally /PREFIX");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw bad(setting, cidr, "an IPv4 or IPv6 address, optionally /PREFIX");
        }
        boolean v4 = address instanceof Inet4Address;
        int bits = v4 && !colon ? 32 : 128;
        int prefix = bits;
        if (slash >= 0) {
            String p = cidr.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
                    || (p.length() > 1 && p.charAt(0) == '0')) {
                throw bad(setting, cidr, "a prefix length 0-" + bits);
            }
            prefix = Integer.parseInt(p);
            if (prefix > bits) {
                throw bad(setting, cidr, "a prefix length 0-" + bits);
            }
        }
        if (v4 && colon) {
            // Java turns ::ffff:a.b.c.d into an IPv4 address; the range is the IPv4 one it maps
            if (prefix < 96) {
                throw bad(setting, cidr, "a prefix of at least 96 for an IPv4-mapped range");
            }
            prefix -= 96;
        }
        byte[] raw = address.getAddress();
        long hi = v4 ? word(raw, 0, 4) : word(raw, 0, 8);
        long lo = v4 ? 0 : word(raw, 8, 8);
        Cidr range = new Cidr(v4, prefix, hi, lo, cidr);
        if ((hi & ~range.hiMask) != 0 || (lo & ~range.loMask) != 0) {
            throw bad(setting, cidr, "no address bits set after the prefix");
        }
        return range;
    }

    private static boolean literal(String host, boolean colon) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || c == '.'
                    || (colon && (c == ':' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Exactly four decimal numbers 0-255 without leading zeros (no BSD shorthand such as 10.1). */
    private static boolean dottedQuad(String host) {
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')
                    || Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException bad(String setting, String cidr, String expected) {
        return new IllegalArgumentException(setting + ": '" + cidr + "' (expected: " + expected + ")");
    }

    private static long word(byte[] raw, int from, int length) {
        long w = 0;
        for (int i = from; i < from + length; i++) {
            w = (w << 8) | (raw[i] & 0xFF);
        }
        return w;
    }

    /**
     * Whether {@code raw} (4 bytes for IPv4, 16 for IPv6, as {@link InetAddress#getAddress()} gives)
     * lies in this range. An IPv4 range never matches an IPv6 address and the other way round.
     */
    public boolean matches(byte[] raw) {
        if (v4) {
            return raw.length == 4 && (word(raw, 0, 4) & hiMask) == hi;
        }
        return raw.length == 16 && (word(raw, 0, 8) & hiMask) == hi && (word(raw, 8, 8) & loMask) == lo;
    }

    /** Whether any range of {@code ranges} contains {@code raw}. */
    public static boolean any(List<Cidr> ranges, byte[] raw) {
        for (int i = 0; i < ranges.size(); i++) {
            if (ranges.get(i).matches(raw)) {
                return true;
            }
        }
        return false;
    }

    /** The prefix length in bits. */
    public int prefix() {
        return prefix;
    }

    @Override
    public String toString() {
        return text;
    }
}
