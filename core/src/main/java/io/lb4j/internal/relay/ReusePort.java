package io.lb4j.internal.relay;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What the Linux kernel says about listeners that share a port with {@code SO_REUSEPORT}: whether it
 * moves the handshakes queued on a closing listener to the others ({@code net.ipv4.tcp_migrate_req},
 * Linux 5.14+), and how many listeners hold an address (so a hand-over can tell that a successor is
 * there). Both read {@code /proc} of the caller's network namespace; elsewhere they answer "unknown".
 */
public final class ReusePort {
    private static final Path MIGRATE_REQ = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");
    private static final String LISTEN = "0A"; // TCP_LISTEN in include/net/tcp_states.h

    private ReusePort() {
    }

    /** {@code net.ipv4.tcp_migrate_req} of this network namespace: 0, 1, or -1 when unknown. */
    public static int migrateReq() {
        return migrateReq(MIGRATE_REQ);
    }

    static int migrateReq(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.equals("1") ? 1 : text.equals("0") ? 0 : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The one start-up line that says what {@code migrateReq} (as {@link #migrateReq()}) means for restarts. */
    public static String migrateReqLine(int migrateReq) {
        if (migrateReq == 1) {
            return "reuse-port: net.ipv4.tcp_migrate_req=1: on a hand-over the kernel moves handshakes still "
                    + "queued on the closing listeners to the successor; no client is reset";
        }
        if (migrateReq == 0) {
            return "reuse-port: net.ipv4.tcp_migrate_req=0: on a hand-over the kernel resets handshakes still "
                    + "queued on a closing listener; lb4j accepts its queue empty first, which leaves only "
                    + "handshakes in flight at that instant (set it to 1 for none)";
        }
        return "reuse-port: net.ipv4.tcp_migrate_req unknown (not Linux 5.14+): on a hand-over handshakes still "
                + "queued on a closing listener may be reset; lb4j accepts its queue empty first to keep them few";
    }

    /**
     * Listening TCP sockets in this network namespace that take connections for {@code address}: bound
     * to its port and to its IP or to the wildcard (either side's), from {@code /proc/net/tcp} and
     * {@code /proc/net/tcp6}; -1 when those cannot be read.
     */
    public static int listeners(InetSocketAddress address) {
        try {
            List<String> v4 = Files.readAllLines(Path.of("/proc/net/tcp"));
            List<String> v6;
            try {
                v6 = Files.readAllLines(Path.of("/proc/net/tcp6"));
            } catch (IOException e) {
                v6 = List.of(); // a kernel without IPv6
            }
            return listeners(address, v4, v6, ByteOrder.nativeOrder());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * As {@link #listeners(InetSocketAddress)}, over the lines of {@code /proc/net/tcp} and {@code tcp6}
     * written by a kernel of byte order {@code order} (it prints each 32-bit word of an address as a
     * number in that order).
     */
    static int listeners(InetSocketAddress address, List<String> v4, List<String> v6, ByteOrder order) {
        byte[] ip = address.getAddress().getAddress();
        boolean wildcard = address.getAddress().isAnyLocalAddress();
        int count = 0;
        for (List<String> table : List.of(v4, v6)) {
            for (String line : table) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 4 || !f[3].equals(LISTEN)) {
                    continue; // the header, or not a listener
                }
                int colon = f[1].indexOf(':');
                if (colon < 0 || Integer.parseInt(f[1].substring(colon + 1), 16) != address.getPort()) {
                    continue;
                }
                byte[] bound = address(f[1].substring(0, colon), order);
                if (covers(bound, ip, wildcard, address.getAddress() instanceof Inet4Address)) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Whether a listener bound to {@code bound} takes connections to {@code ip} (or shares its wildcard). */
    private static boolean covers(byte[] bound, byte[] ip, boolean wildcard, boolean v4) {
        boolean boundWildcard = allZero(bound);
        if (v4) {
            if (bound.length == 16) {
                // an IPv6 listener takes IPv4 as ::ffff:a.b.c.d or on :: (unless IPV6_V6ONLY, unseen here)
                if (boundWildcard) {
                    return true;
                }
                if (!isMapped(bound)) {
                    return false;
                }
                bound = Arrays.copyOfRange(bound, 12, 16);
                boundWildcard = allZero(bound);
            }
            return wildcard || boundWildcard || Arrays.equals(bound, ip);
        }
        return bound.length == 16 && (wildcard || boundWildcard || Arrays.equals(bound, ip));
    }

    private static boolean isMapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    }

    private static boolean allZero(byte[] a) {
        for (byte b : a) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** Hex words as the kernel prints them ({@code %08X} of each 32-bit word in memory order). */
    private static byte[] address(String hex, ByteOrder order) {
        byte[] out = new byte[hex.length() / 2];
        for (int w = 0; w < out.length / 4; w++) {
            long word = Long.parseLong(hex.substring(w * 8, w * 8 + 8), 16);
            for (int b = 0; b < 4; b++) {
                int shift = order == ByteOrder.LITTLE_ENDIAN ? 8 * b : 8 * (3 - b);
                out[w * 4 + b] = (byte) (word >>> shift);
            }
        }
        return out;
    }
}
