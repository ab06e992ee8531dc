package io.lb4j.internal.proxy;

import io.lb4j.ProxyProtocol;
import io.lb4j.ProxyTlvs;
import io.lb4j.internal.AddressText;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * A PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2): what one was parsed into,
 * and the encoder lb4j uses to send one to a backend. Encoding writes straight into the caller's buffer,
 * with addresses formatted digit by digit, so sending a header costs no strings.
 *
 * @param version 1 or 2
 * @param local a v2 {@code LOCAL} command, a v1 {@code UNKNOWN} line or a v2 {@code UNSPEC} address
 *     family: the connection's own endpoints stand (source and destination are then {@code null})
 * @param source the original client, or {@code null} when {@code local}
 * @param destination the address the client connected to, or {@code null} when {@code local}
 * @param tlvs every TLV of a v2 header in the order received (CRC32C and NOOP included); none for v1
 * @param length bytes the header took on the wire
 */
public record ProxyHeader(int version, boolean local, InetSocketAddress source, InetSocketAddress destination,
                          ProxyTlvs tlvs, int length) {

    /** The 12-byte signature that opens every v2 header (section 2.2). */
    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /** Longest v1 line, CRLF included (section 2.1). */
    public static final int V1_MAX_BYTES = 107;
    /** Longest v2 header we accept or send: the 16 fixed bytes plus addresses and TLVs. */
    public static final int V2_MAX_BYTES = 16 + 1024;
    /** Longest unique id (section 2.2.5). */
    public static final int UNIQUE_ID_MAX_BYTES = 128;
    /** Most bytes {@link #encode} writes (v2 with TLVs up to the bound). */
    public static final int MAX_ENCODED_BYTES = V2_MAX_BYTES;
    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V1_UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The v2 {@code PP2_TYPE_AUTHORITY} value (the host name the client asked for), or {@code null}. */
    public byte[] authority() {
        return tlvs.first(ProxyTlvs.TYPE_AUTHORITY);
    }

    /** The v2 {@code PP2_TYPE_UNIQUE_ID} value (at most 128 bytes), or {@code null}. */
    public byte[] uniqueId() {
        return tlvs.first(ProxyTlvs.TYPE_UNIQUE_ID);
    }

    /**
     * {@link #encode(ProxyProtocol, InetSocketAddress, InetSocketAddress, ProxyTlvs, ByteBuffer)} with an
     * authority and a unique id TLV, each skipped when {@code null}.
     *
     * @throws IllegalArgumentException when a TLV is too long
     */
    public static void encode(ProxyProtocol version, InetSocketAddress source, InetSocketAddress destination,
                              byte[] authority, byte[] uniqueId, ByteBuffer out) {
        if (uniqueId != null && uniqueId.length > UNIQUE_ID_MAX_BYTES) {
            throw new IllegalArgumentException("proxy header unique id: " + uniqueId.length
                    + " bytes (expected: <= " + UNIQUE_ID_MAX_BYTES + ")");
        }
        ProxyTlvs tlvs = ProxyTlvs.none();
        if (authority != null) {
            tlvs = tlvs.with(ProxyTlvs.TYPE_AUTHORITY, authority);
        }
        if (uniqueId != null) {
            tlvs = tlvs.with(ProxyTlvs.TYPE_UNIQUE_ID, uniqueId);
        }
        encode(version, source, destination, tlvs, out);
    }

    /**
     * Writes a header announcing a relayed connection from {@code source} to {@code destination}.
     * When either is {@code null} or unresolved it writes v1 {@code PROXY UNKNOWN} or a v2 {@code PROXY}
     * command with the {@code UNSPEC} family. When the two families differ, an IPv4 one is written
     * IPv4-mapped, as v1 and v2 both need one family. TLVs are v2 only: written in their order, apart
     * from NOOP (dropped) and CRC32C (one, in the place of the first, holding the CRC32C of the header
     * written here, RFC 4960 appendix B as section 2.2.4 asks).
     *
     * @param tlvs the TLVs to pass on; ignored by v1
     * @param out receives the header at its position; needs {@link #MAX_ENCODED_BYTES} free
     * @throws IllegalArgumentException when the v2 header would exceed {@link #V2_MAX_BYTES}; nothing is
     *     written then
     */
    public static void encode(ProxyProtocol version, InetSocketAddress source, InetSocketAddress destination,
                              ProxyTlvs tlvs, ByteBuffer out) {
        InetAddress src = source == null ? null : source.getAddress();
        InetAddress dst = destination == null ? null : destination.getAddress();
        boolean known = src != null && dst != null;
        boolean v6 = known && !(src instanceof Inet4Address && dst instanceof Inet4Address);
        if (version == ProxyProtocol.V1) {
            if (!known) {
                out.put(V1_UNKNOWN);
                return;
            }
            out.put(V1_PREFIX);
            out.put((byte) 'T').put((byte) 'C').put((byte) 'P').put((byte) (v6 ? '6' : '4')).put((byte) ' ');
            text(src, v6, out);
            out.put((byte) ' ');
            text(dst, v6, out);
            out.put((byte) ' ');
            decimal(source.getPort(), out);
            out.put((byte) ' ');
            decimal(destination.getPort(), out);
            out.put((byte) '\r').put((byte) '\n');
            return;
        }
        int tlvBytes = forwardedLength(tlvs);
        int addresses = !known ? 0 : v6 ? 36 : 12;
        if (16 + addresses + tlvBytes > V2_MAX_BYTES) {
            throw new IllegalArgumentException("proxy header: " + (16 + addresses + tlvBytes)
                    + " bytes (expected: <= " + V2_MAX_BYTES + ")");
        }
        int start = out.position();
        out.put(V2_SIGNATURE);
        out.put((byte) 0x21); // version 2, command PROXY
        out.put((byte) (!known ? 0x00 : v6 ? 0x21 : 0x11)); // UNSPEC, or AF_INET / AF_INET6 over STREAM
        out.putShort((short) (addresses + tlvBytes));
        if (known) {
            raw(src, v6, out);
            raw(dst, v6, out);
            out.putShort((short) source.getPort());
            out.putShort((short) destination.getPort());
        }
        int crcAt = -1;
        for (int i = 0, n = tlvs.size(); i < n; i++) {
            int type = tlvs.type(i);
            if (type == ProxyTlvs.TYPE_NOOP || (type == ProxyTlvs.TYPE_CRC32C && crcAt >= 0)) {
                continue;
            }
            if (type == ProxyTlvs.TYPE_CRC32C) {
                out.put((byte) type).putShort((short) 4);
                crcAt = out.position();
                out.putInt(0); // the checksum is computed with its own field zero
                continue;
            }
            out.put((byte) type).putShort((short) tlvs.length(i));
            tlvs.copyValue(i, out);
        }
        if (crcAt >= 0) {
            CRC32C crc = new CRC32C();
            crc.update(out.duplicate().limit(out.position()).position(start));
            out.putInt(crcAt, (int) crc.getValue());
        }
    }

    /** Bytes the TLVs take once NOOPs are dropped and CRC32C is one 4-byte value. */
    private static int forwardedLength(ProxyTlvs tlvs) {
        int bytes = 0;
        boolean crc = false;
        for (int i = 0, n = tlvs.size(); i < n; i++) {
            int type = tlvs.type(i);
            if (type == ProxyTlvs.TYPE_CRC32C) {
                bytes += crc ? 0 : 3 + 4;
                crc = true;
            } else if (type != ProxyTlvs.TYPE_NOOP) {
                bytes += 3 + tlvs.length(i);
            }
        }
        return bytes;
    }

    /**
     * Writes the header a health probe sends: v1 {@code PROXY UNKNOWN\r\n}, or a v2 {@code LOCAL}
     * command with no addresses (section 2.2: the receiver uses the connection's own endpoints).
     */
    public static void encodeLocal(ProxyProtocol version, ByteBuffer out) {
        if (version == ProxyProtocol.V1) {
            out.put(V1_UNKNOWN);
            return;
        }
        out.put(V2_SIGNATURE);
        out.put((byte) 0x20).put((byte) 0x00).putShort((short) 0);
    }

    /** Network-order address bytes; IPv4 written IPv4-mapped when {@code v6}. */
    private static void raw(InetAddress address, boolean v6, ByteBuffer out) {
        byte[] bytes = address.getAddress();
        if (v6 && bytes.length == 4) {
            out.putLong(0).putShort((short) 0).putShort((short) 0xFFFF);
        }
        out.put(bytes);
    }

    /** Canonical text: dotted decimal, or RFC 5952 (lower case, no leading zeros, longest zero run as ::). */
    private static void text(InetAddress address, boolean v6, ByteBuffer out) {
        byte[] b = address.getAddress();
        if (!v6) {
            for (int i = 0; i < 4; i++) {
                if (i > 0) {
                    out.put((byte) '.');
                }
                decimal(b[i] & 0xFF, out);
            }
            return;
        }
        AddressText.ipv6(b, out);
    }

    private static void decimal(int value, ByteBuffer out) {
        if (value >= 10) {
            decimal(value / 10, out);
        }
        out.put((byte) ('0' + value % 10));
    }
}
