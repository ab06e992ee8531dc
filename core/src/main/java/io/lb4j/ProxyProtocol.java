package io.lb4j;

import io.lb4j.internal.proxy.ProxyHeader;
import java.nio.ByteBuffer;

/**
 * The versions of HAProxy's PROXY protocol that a {@link Balancer} can send to its backends (see
 * {@link Balancer.Builder#proxyProtocol(ProxyProtocol)}), so that they learn the client's address.
 * Reading a header from an upstream balancer ({@link Balancer.Builder#acceptProxyProtocol(boolean)})
 * detects the version by itself.
 */
public enum ProxyProtocol {
    /** Version 1: one human-readable line, {@code PROXY TCP4 SRC DST SPORT DPORT\r\n}. */
    V1,
    /** Version 2: a binary header with a 12-byte signature, addresses and TLVs ({@link ProxyTlvs}). */
    V2;

    /**
     * The header a health check sends before its own bytes, so that a backend which requires PROXY
     * protocol accepts the check: v1 {@code PROXY UNKNOWN\r\n}, v2 a {@code LOCAL} command without
     * addresses (the backend then uses the connection's own endpoints). The built-in probes send it
     * whenever the balancer sends PROXY headers ({@link HealthProbe.Target#proxyProtocol()}); a custom
     * probe can do the same.
     *
     * @return a new array holding the header
     */
    public byte[] localHeader() {
        ByteBuffer out = ByteBuffer.allocate(16);
        ProxyHeader.encodeLocal(this, out);
        byte[] bytes = new byte[out.position()];
        out.flip().get(bytes);
        return bytes;
    }
}
