package io.lb4j;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.OptionalLong;

/**
 * The TLVs (type-length-value fields) of a PROXY protocol v2 header that a client sent, in the order
 * it sent them: what an upstream balancer told lb4j beyond the client's address, such as the host name
 * the client asked for ({@link #TYPE_AUTHORITY}), a unique connection id ({@link #TYPE_UNIQUE_ID}) or,
 * behind Azure Private Link, the private endpoint's LINKID ({@link #azureLinkId()}).
 *
 * <p>With {@link Balancer.Builder#acceptProxyProtocol(boolean)} on, every TLV of an accepted v2
 * header is kept (the header is bounded at 1,040 bytes, so at most 1,024 bytes of TLVs) and shown to
 * host code through {@link Connection#proxyTlvs()} and {@link ConnectionEvent#proxyTlvs()}. With
 * {@link Balancer.Builder#proxyProtocol(ProxyProtocol)} {@link ProxyProtocol#V2} as well, they are
 * forwarded to the backend in the same order, apart from {@link #TYPE_NOOP} (dropped) and
 * {@link #TYPE_CRC32C} (recomputed over the new header, in its place).
 *
 * <p>Immutable and thread-safe; values are copied in and out, so no caller can change one. A TLV is
 * addressed by its index, {@code 0 <= index < size()}.
 */
public final class ProxyTlvs {
    /** {@code PP2_TYPE_ALPN}: the application protocol the client negotiated. */
    public static final int TYPE_ALPN = 0x01;
    /** {@code PP2_TYPE_AUTHORITY}: the host name the client asked for (its TLS SNI, say), UTF-8. */
    public static final int TYPE_AUTHORITY = 0x02;
    /** {@code PP2_TYPE_CRC32C}: the CRC32C of the whole header, 4 bytes; checked when received. */
    public static final int TYPE_CRC32C = 0x03;
    /** {@code PP2_TYPE_NOOP}: padding, to be ignored; never forwarded. */
    public static final int TYPE_NOOP = 0x04;
    /** {@code PP2_TYPE_UNIQUE_ID}: an opaque id of the connection, at most 128 bytes. */
    public static final int TYPE_UNIQUE_ID = 0x05;
    /** {@code PP2_TYPE_SSL}: facts about the client's TLS session, with sub-TLVs of its own. */
    public static final int TYPE_SSL = 0x20;
    /** {@code PP2_TYPE_NETNS}: the network namespace the connection was accepted in. */
    public static final int TYPE_NETNS = 0x30;
    /**
     * Azure's {@code PP2_TYPE_AZURE}: its value is a one-byte subtype then the subtype's data; subtype
     * {@link #AZURE_SUBTYPE_LINKID} carries the Private Link LINKID.
     */
    public static final int TYPE_AZURE = 0xEE;
    /** Azure's {@code PP2_SUBTYPE_AZURE_PRIVATEENDPOINT_LINKID}: then a 32-bit little-endian LINKID. */
    public static final int AZURE_SUBTYPE_LINKID = 0x01;

    private static final ProxyTlvs NONE = new ProxyTlvs(new byte[0], new int[0]);

    /** The TLVs as on the wire: type (1 byte), length (2 bytes, network order), value; repeated. */
    private final byte[] wire;
    /** Where each TLV starts in {@link #wire}. */
    private final int[] starts;

    private ProxyTlvs(byte[] wire, int[] starts) {
        this.wire = wire;
        this.starts = starts;
    }

    /**
     * No TLVs: what a connection without a PROXY v2 header (or with one that carried none) has.
     *
     * @return the empty instance
     */
    public static ProxyTlvs none() {
        return NONE;
    }

    /**
     * Reads a TLV block in the wire form of PROXY protocol v2 (section 2.2 of HAProxy's
     * proxy-protocol.txt): one byte of type, two bytes of value length in network order, the value;
     * repeated to the end of {@code bytes}. The content of a value is not checked.
     *
     * @param bytes the block (copied); may be empty
     * @return the TLVs, in the order of {@code bytes}
     * @throws IllegalArgumentException when a TLV is cut short or its length runs past the end
     */
    public static ProxyTlvs fromWire(byte[] bytes) {
        int count = 0;
        for (int at = 0; at < bytes.length; count++) {
            if (bytes.length - at < 3) {
                throw new IllegalArgumentException("proxy TLVs: truncated TLV at byte " + at
                        + " (expected: 3 bytes of type and length)");
            }
            int end = at + 3 + (((bytes[at + 1] & 0xFF) << 8) | (bytes[at + 2] & 0xFF));
            if (end > bytes.length) {
                throw new IllegalArgumentException("proxy TLVs: TLV at byte " + at + " runs to byte " + end
                        + " (expected: <= " + bytes.length + ")");
            }
            at = end;
        }
        if (count == 0) {
            return NONE;
        }
        int[] starts = new int[count];
        for (int i = 0, at = 0; i < count; i++) {
            starts[i] = at;
            at += 3 + (((bytes[at + 1] & 0xFF) << 8) | (bytes[at + 2] & 0xFF));
        }
        return new ProxyTlvs(bytes.clone(), starts);
    }

    /**
     * These TLVs and one more at the end.
     *
     * @param type 0 to 255
     * @param value the value (copied), at most 65,535 bytes
     * @return a new instance
     * @throws IllegalArgumentException when {@code type} or the value's length is out of range
     */
    public ProxyTlvs with(int type, byte[] value) {
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("proxy TLV type: " + type + " (expected: 0 to 255)");
        }
        if (value.length > 0xFFFF) {
            throw new IllegalArgumentException("proxy TLV value: " + value.length + " bytes (expected: <= 65535)");
        }
        byte[] bytes = Arrays.copyOf(wire, wire.length + 3 + value.length);
        bytes[wire.length] = (byte) type;
        bytes[wire.length + 1] = (byte) (value.length >>> 8);
        bytes[wire.length + 2] = (byte) value.length;
        System.arraycopy(value, 0, bytes, wire.length + 3, value.length);
        int[] more = Arrays.copyOf(starts, starts.length + 1);
        more[starts.length] = wire.length;
        return new ProxyTlvs(bytes, more);
    }

    /**
     * How many TLVs there are.
     *
     * @return 0 or more
     */
    public int size() {
        return starts.length;
    }

    /**
     * Whether there are none.
     *
     * @return {@code size() == 0}
     */
    public boolean isEmpty() {
        return starts.length == 0;
    }

    /**
     * The type of one TLV.
     *
     * @param index 0 to {@code size() - 1}
     * @return 0 to 255
     * @throws IndexOutOfBoundsException when {@code index} is out of range
     */
    public int type(int index) {
        return wire[starts[index]] & 0xFF;
    }

    /**
     * The length of one TLV's value.
     *
     * @param index 0 to {@code size() - 1}
     * @return bytes, 0 to 65,535
     * @throws IndexOutOfBoundsException when {@code index} is out of range
     */
    public int length(int index) {
        int at = starts[index];
        return ((wire[at + 1] & 0xFF) << 8) | (wire[at + 2] & 0xFF);
    }

    /**
     * One TLV's value.
     *
     * @param index 0 to {@code size() - 1}
     * @return a new array holding the value
     * @throws IndexOutOfBoundsException when {@code index} is out of range
     */
    public byte[] value(int index) {
        int at = starts[index] + 3;
        return Arrays.copyOfRange(wire, at, at + length(index));
    }

    /**
     * Puts one TLV's value into {@code out} at its position, without a copy of its own.
     *
     * @param index 0 to {@code size() - 1}
     * @param out receives {@link #length(int)} bytes
     * @throws IndexOutOfBoundsException when {@code index} is out of range
     * @throws java.nio.BufferOverflowException when {@code out} has too little room
     */
    public void copyValue(int index, ByteBuffer out) {
        out.put(wire, starts[index] + 3, length(index));
    }

    /**
     * The index of the first TLV of a type.
     *
     * @param type 0 to 255
     * @return its index, or -1 when there is none
     */
    public int indexOf(int type) {
        for (int i = 0; i < starts.length; i++) {
            if ((wire[starts[i]] & 0xFF) == type) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The value of the first TLV of a type.
     *
     * @param type 0 to 255
     * @return a new array holding the value, or {@code null} when there is no TLV of that type
     */
    public byte[] first(int type) {
        int i = indexOf(type);
        return i < 0 ? null : value(i);
    }

    /**
     * The LINKID of the Azure Private Link endpoint the client came through: the first TLV of type
     * {@link #TYPE_AZURE} (0xEE) whose value is 5 bytes, subtype {@link #AZURE_SUBTYPE_LINKID} (0x01)
     * and then the LINKID as a little-endian unsigned 32-bit integer, as Azure documents it.
     *
     * @return the LINKID, 0 to 4,294,967,295, or empty when the header carried none
     */
    public OptionalLong azureLinkId() {
        for (int i = 0; i < starts.length; i++) {
            int at = starts[i];
            if ((wire[at] & 0xFF) == TYPE_AZURE && length(i) == 5 && wire[at + 3] == AZURE_SUBTYPE_LINKID) {
                long id = (wire[at + 4] & 0xFFL) | (wire[at + 5] & 0xFFL) << 8 | (wire[at + 6] & 0xFFL) << 16
                        | (wire[at + 7] & 0xFFL) << 24;
                return OptionalLong.of(id);
            }
        }
        return OptionalLong.empty();
    }

    /**
     * The TLVs in their wire form (see {@link #fromWire(byte[])}).
     *
     * @return a new array
     */
    public byte[] toWire() {
        return wire.clone();
    }

    /**
     * Equal when both hold the same TLVs in the same order.
     *
     * @param other any object
     * @return whether {@code other} is a {@code ProxyTlvs} with the same TLVs
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof ProxyTlvs && Arrays.equals(wire, ((ProxyTlvs) other).wire);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(wire);
    }

    /**
     * For logs: each TLV as its type in hex and its value in hex, for example
     * {@code [0xee:0139300000, 0x02:7773]}.
     */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < starts.length; i++) {
            if (i > 0) {
                text.append(", ");
            }
            text.append(String.format("0x%02x:", type(i)));
            int at = starts[i] + 3;
            text.append(HexFormat.of().formatHex(wire, at, at + length(i)));
        }
        return text.append(']').toString();
    }
}
