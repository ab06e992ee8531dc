package io.lb4j.internal.proxy;

import io.lb4j.ProxyTlvs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Reads a PROXY protocol header of either version from the first bytes a client sent, deciding the
 * version by its signature. Strict on purpose (HAProxy's proxy-protocol.txt, sections 2.1 and 2.2): a
 * header is accepted only when every field is in canonical form, so a peer cannot smuggle a second
 * meaning past a lenient reader; input is rejected as soon as its first bytes cannot start one.
 */
public final class ProxyHeaderParser {
    private static final byte[] V1_PREFIX = {'P', 'R', 'O', 'X', 'Y', ' '};

    /** A header that can never become valid, whatever bytes follow. No stack trace: peers cause these. */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private ProxyHeaderParser() {
    }

    /**
     * Parses the header at the start of {@code data} (from its position to its limit), which it does
     * not move.
     *
     * @return the header, or {@code null} when the bytes so far are a valid start but too few
     * @throws Malformed when the bytes cannot be (the start of) a valid header, or it is too long
     */
    public static ProxyHeader parse(ByteBuffer data) throws Malformed {
        int n = data.remaining();
        if (n == 0) {
            return null;
        }
        byte first = data.get(data.position());
        if (first == 'P') {
            return v1(data);
        }
        if (first == ProxyHeader.V2_SIGNATURE[0]) {
            return v2(data);
        }
        throw new Malformed("no PROXY protocol signature");
    }

    /**
     * The whole length of the v2 header at the start of {@code data} once its fixed part has arrived,
     * else -1; a reader grows its buffer to this (never above {@link ProxyHeader#V2_MAX_BYTES}).
     */
    public static int v2Length(ByteBuffer data) {
        if (data.remaining() < 16 || data.get(data.position()) != ProxyHeader.V2_SIGNATURE[0]) {
            return -1;
        }
        return Math.min(16 + (data.getShort(data.position() + 14) & 0xFFFF), ProxyHeader.V2_MAX_BYTES);
    }

    private static ProxyHeader v1(ByteBuffer data) throws Malformed {
        int p = data.position();
        int n = Math.min(data.remaining(), ProxyHeader.V1_MAX_BYTES);
        int end = -1;
        for (int i = 0; i < n; i++) {
            byte b = data.get(p + i);
            if (i < V1_PREFIX.length) {
                if (b != V1_PREFIX[i]) {
                    throw new Malformed("v1: line does not start with 'PROXY '");
                }
            } else if (b == '\r') {
                if (i + 1 < n && data.get(p + i + 1) != '\n') {
                    throw new Malformed("v1: CR not followed by LF");
                }
                if (i + 1 < n) {
                    end = i;
                    break;
                }
            } else if (b < 0x20 || b > 0x7E) {
                throw new Malformed("v1: control or non-ASCII byte in the line");
            }
        }
        if (end < 0) {
            if (data.remaining() >= ProxyHeader.V1_MAX_BYTES) {
                throw new Malformed("v1: no CRLF within " + ProxyHeader.V1_MAX_BYTES + " bytes");
            }
            return null;
        }
        byte[] line = new byte[end - V1_PREFIX.length];
        for (int i = 0; i < line.length; i++) {
            line[i] = data.get(p + V1_PREFIX.length + i);
        }
        String text = new String(line, StandardCharsets.US_ASCII);
        int length = end + 2;
        if (text.equals("UNKNOWN") || text.startsWith("UNKNOWN ")) {
            // section 2.1: the receiver must ignore anything after UNKNOWN
            return new ProxyHeader(1, true, null, null, ProxyTlvs.none(), length);
        }
        String[] fields = text.split(" ", -1);
        if (fields.length != 5) {
            throw new Malformed("v1: expected 'TCP4|TCP6 SRC DST SPORT DPORT' with single spaces");
        }
        boolean v6;
        if (fields[0].equals("TCP4")) {
            v6 = false;
        } else if (fields[0].equals("TCP6")) {
            v6 = true;
        } else {
            throw new Malformed("v1: unknown protocol (expected TCP4, TCP6 or UNKNOWN)");
        }
        InetAddress src = v6 ? ipv6(fields[1]) : ipv4(fields[1]);
        InetAddress dst = v6 ? ipv6(fields[2]) : ipv4(fields[2]);
        int sport = port(fields[3]);
        int dport = port(fields[4]);
        return new ProxyHeader(1, false, new InetSocketAddress(src, sport), new InetSocketAddress(dst, dport),
                ProxyTlvs.none(), length);
    }

    private static InetAddress ipv4(String s) throws Malformed {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new Malformed("v1: bad IPv4 address");
        }
        byte[] raw = new byte[4];
        for (int i = 0; i < 4; i++) {
            raw[i] = (byte) number(parts[i], 255, "IPv4 address");
        }
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new Malformed("v1: bad IPv4 address");
        }
    }

    private static InetAddress ipv6(String s) throws Malformed {
        if (s.isEmpty() || s.length() > 45) {
            throw new Malformed("v1: bad IPv6 address");
        }
        boolean dot = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (c == '.') {
                dot = true;
            } else if (!hex && c != ':') {
                throw new Malformed("v1: bad IPv6 address");
            }
        }
        if (s.indexOf(':') < 0 || dot) {
            // an embedded IPv4 tail is not the spec's "series of 4 hexadecimal digits"
            throw new Malformed("v1: bad IPv6 address");
        }
        try {
            // only hex digits and colons reach here, so this parses a literal and never asks DNS
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new Malformed("v1: bad IPv6 address");
        }
    }

    private static int port(String s) throws Malformed {
        return number(s, 65535, "port");
    }

    /** Decimal without sign or leading zeros (section 2.1 forbids them, octal confusion). */
    private static int number(String s, int max, String what) throws Malformed {
        if (s.isEmpty() || s.length() > 5 || (s.length() > 1 && s.charAt(0) == '0')) {
            throw new Malformed("v1: bad " + what);
        }
        int value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new Malformed("v1: bad " + what);
            }
            value = value * 10 + (c - '0');
        }
        if (value > max) {
            throw new Malformed("v1: bad " + what);
        }
        return value;
    }

    private static ProxyHeader v2(ByteBuffer data) throws Malformed {
        int p = data.position();
        int n = data.remaining();
        int signature = Math.min(n, ProxyHeader.V2_SIGNATURE.length);
        for (int i = 0; i < signature; i++) {
            if (data.get(p + i) != ProxyHeader.V2_SIGNATURE[i]) {
                throw new Malformed("v2: bad signature");
            }
        }
        if (n < 16) {
            if (n > 12) {
                checkVersionCommand(data.get(p + 12));
            }
            if (n > 13) {
                checkFamily(data.get(p + 13));
            }
            return null;
        }
        int command = checkVersionCommand(data.get(p + 12));
        int family = checkFamily(data.get(p + 13));
        int length = data.getShort(p + 14) & 0xFFFF;
        int total = 16 + length;
        if (total > ProxyHeader.V2_MAX_BYTES) {
            throw new Malformed("v2: " + total + " bytes (expected: <= " + ProxyHeader.V2_MAX_BYTES + ")");
        }
        int addresses = family == 0x11 ? 12 : family == 0x21 ? 36 : family == 0x31 ? 216 : 0;
        if (length < addresses) {
            throw new Malformed("v2: length " + length + " too short for the address family");
        }
        if (n < total) {
            return null;
        }
        boolean authority = false;
        boolean uniqueId = false;
        boolean crc = false;
        int at = p + 16 + addresses;
        int end = p + total;
        while (at < end) {
            if (end - at < 3) {
                throw new Malformed("v2: truncated TLV");
            }
            int type = data.get(at) & 0xFF;
            int size = data.getShort(at + 1) & 0xFFFF;
            if (at + 3 + size > end) {
                throw new Malformed("v2: TLV runs past the header");
            }
            if (type == ProxyTlvs.TYPE_AUTHORITY) {
                if (authority || size == 0) {
                    throw new Malformed("v2: empty or repeated authority TLV");
                }
                authority = true;
            } else if (type == ProxyTlvs.TYPE_UNIQUE_ID) {
                if (uniqueId || size == 0 || size > ProxyHeader.UNIQUE_ID_MAX_BYTES) {
                    throw new Malformed("v2: empty, repeated or over-long unique id TLV");
                }
                uniqueId = true;
            } else if (type == ProxyTlvs.TYPE_CRC32C) {
                if (crc) {
                    throw new Malformed("v2: repeated CRC32C TLV");
                }
                checkCrc(data, p, total, at, size);
                crc = true;
            }
            at += 3 + size;
        }
        int tlvStart = p + 16 + addresses;
        // every TLV is kept, bounded by the header's own bound (at most 1,024 bytes of them)
        ProxyTlvs tlvs = end == tlvStart ? ProxyTlvs.none() : ProxyTlvs.fromWire(bytes(data, tlvStart, end - tlvStart));
        if (command == 0 || family == 0x00 || family == 0x31) {
            // LOCAL (a health check of the sender), UNSPEC or a UNIX socket: the real endpoints stand
            return new ProxyHeader(2, true, null, null, tlvs, total);
        }
        int a = p + 16;
        int size = family == 0x11 ? 4 : 16;
        InetAddress src = address(data, a, size);
        InetAddress dst = address(data, a + size, size);
        int sport = data.getShort(a + 2 * size) & 0xFFFF;
        int dport = data.getShort(a + 2 * size + 2) & 0xFFFF;
        return new ProxyHeader(2, false, new InetSocketAddress(src, sport), new InetSocketAddress(dst, dport),
                tlvs, total);
    }

    private static int checkVersionCommand(byte b) throws Malformed {
        if ((b & 0xF0) != 0x20) {
            throw new Malformed("v2: version " + ((b & 0xF0) >> 4) + " (expected: 2)");
        }
        int command = b & 0x0F;
        if (command > 1) {
            throw new Malformed("v2: command " + command + " (expected: LOCAL or PROXY)");
        }
        return command;
    }

    /** UNSPEC, or TCP over IPv4, IPv6 or a UNIX socket; datagrams cannot arrive on a TCP listener. */
    private static int checkFamily(byte b) throws Malformed {
        int family = b & 0xFF;
        if (family != 0x00 && family != 0x11 && family != 0x21 && family != 0x31) {
            throw new Malformed("v2: address family and protocol 0x" + Integer.toHexString(family)
                    + " (expected: UNSPEC or a STREAM one)");
        }
        return family;
    }

    private static void checkCrc(ByteBuffer data, int p, int total, int at, int size) throws Malformed {
        if (size != 4) {
            throw new Malformed("v2: CRC32C TLV of " + size + " bytes (expected: 4)");
        }
        byte[] header = bytes(data, p, total);
        int value = (int) (data.getInt(at + 3) & 0xFFFF_FFFFL);
        int offset = at + 3 - p;
        for (int i = 0; i < 4; i++) {
            header[offset + i] = 0;
        }
        CRC32C crc = new CRC32C();
        crc.update(header);
        if ((int) crc.getValue() != value) {
            throw new Malformed("v2: CRC32C mismatch");
        }
    }

    private static InetAddress address(ByteBuffer data, int at, int size) throws Malformed {
        try {
            // an IPv4-mapped IPv6 address comes back as the IPv4 address it maps
            return InetAddress.getByAddress(bytes(data, at, size));
        } catch (UnknownHostException e) {
            throw new Malformed("v2: bad address");
        }
    }

    private static byte[] bytes(ByteBuffer data, int at, int size) {
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = data.get(at + i);
        }
        return out;
    }
}
