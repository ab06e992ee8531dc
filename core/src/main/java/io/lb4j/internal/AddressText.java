package io.lb4j.internal;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Socket addresses as lb4j writes them everywhere: {@code IP:PORT} or {@code [IPv6]:PORT}, with IPv6 in
 * RFC 5952's canonical form. One home for it, so the CLI's ready line, the metrics labels, the access log,
 * the PROXY header encoder and the events all spell an address the same way.
 */
public final class AddressText {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private AddressText() {
    }

    /** {@code IP:PORT} or {@code [IPv6]:PORT} (RFC 5952 text form), as the CLI prints addresses. */
    public static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            String host = address.getHostString();
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + address.getPort() : host + ":" + address.getPort();
        }
        if (ip instanceof Inet6Address) {
            return "[" + ipv6(ip.getAddress()) + "]:" + address.getPort();
        }
        return ip.getHostAddress() + ":" + address.getPort();
    }

    /** RFC 5952 text of an IPv6 address, as a string. */
    public static String ipv6(byte[] bytes) {
        ByteBuffer text = ByteBuffer.allocate(40);
        ipv6(bytes, text);
        return new String(text.array(), 0, text.position(), StandardCharsets.US_ASCII);
    }

    /**
     * RFC 5952 text of an IPv6 address (an IPv4 one written IPv4-mapped), written as ASCII into
     * {@code out}: lower case, no leading zeros, the longest run of two or more zero groups as {@code ::}
     * (the first of equal runs); at most 39 bytes. No strings are made, so the PROXY encoder can use it.
     */
    public static void ipv6(byte[] b, ByteBuffer out) {
        int[] groups = new int[8];
        if (b.length == 4) {
            groups[5] = 0xFFFF;
            groups[6] = ((b[0] & 0xFF) << 8) | (b[1] & 0xFF);
            groups[7] = ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        } else {
            for (int i = 0; i < 8; i++) {
                groups[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
            }
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened (RFC 5952 section 4.2.2)
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.put((byte) ':').put((byte) ':');
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength) {
                out.put((byte) ':');
            }
            hex(groups[i], out);
        }
    }

    private static void hex(int group, ByteBuffer out) {
        boolean started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            int digit = (group >> shift) & 0xF;
            if (digit != 0 || started || shift == 0) {
                out.put(HEX[digit]);
                started = true;
            }
        }
    }
}
