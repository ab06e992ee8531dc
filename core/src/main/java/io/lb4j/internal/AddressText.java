package io.lb4j.internal;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Socket addresses as lb4j writes them everywhere: {@code IP:PORT} or {@code [IPv6]:PORT}, with IPv6 in
 * RFC 5952's canonical form. One home for it, so the CLI's ready line, the metrics labels, the access log,
 * the PROXY header encoder and the events all spell an address the same way; and the one parser of
 * the {@code HOST:PORT} settings.
 */
public final class AddressText {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private AddressText() {
    }

    /**
     * Parses {@code HOST:PORT} or {@code [IPv6]:PORT} into an unresolved-if-needed socket address;
     * port 0 is allowed (a frontend picks a free port). IP literals never touch DNS.
     */
    public static InetSocketAddress parse(String setting, String hostPort) {
        Objects.requireNonNull(hostPort, setting);
        String host;
        String portText;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
                throw new IllegalArgumentException(setting + ": '" + hostPort + "' (expected: [IPv6]:PORT)");
            }
            host = hostPort.substring(1, close);
            portText = hostPort.substring(close + 2);
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0 || hostPort.indexOf(':') != colon) {
                throw new IllegalArgumentException(setting + ": '" + hostPort
                        + "' (expected: HOST:PORT, or [IPv6]:PORT)");
            }
            host = hostPort.substring(0, colon);
            portText = hostPort.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535 || host.isEmpty()) {
            throw new IllegalArgumentException(setting + ": '" + hostPort + "' (expected: HOST:PORT with PORT 0-65535)");
        }
        return InetSocketAddress.createUnresolved(host, port);
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
