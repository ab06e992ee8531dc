package io.lb4j;

/**
 * The versions of HAProxy's PROXY protocol that a {@link Balancer} can send to its backends (see
 * {@link Balancer.Builder#proxyProtocol(ProxyProtocol)}), so that they learn the client's address.
 * Reading a header from an upstream balancer ({@link Balancer.Builder#acceptProxyProtocol(boolean)})
 * detects the version by itself.
 */
public enum ProxyProtocol {
    /** Version 1: one human-readable line, {@code PROXY TCP4 SRC DST SPORT DPORT\r\n}. */
    V1,
    /** Version 2: a binary header with a 12-byte signature, addresses and TLVs (authority, unique id). */
    V2
}
