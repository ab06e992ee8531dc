package io.lb4j.internal;

import io.lb4j.ProxyProtocol;
import java.util.List;

/**
 * The balancer's settings at its edge: who may connect, how many at once, and the PROXY protocol
 * headers read from clients and sent to backends. Kept apart from {@link Config} so that these
 * settings travel together to the acceptors and pairs that apply them.
 *
 * @param sendProxy the header version sent to each backend, or {@code null} for none
 * @param acceptProxy whether each client must open with a PROXY header (v1 or v2)
 * @param acceptProxyFrom peers allowed to send such a header; empty = any
 * @param maxConnections client connections held at once; 0 = unlimited
 * @param maxConnectionsPerClient connections held at once from one peer IP; 0 = unlimited
 * @param allow peers must match one of these when any is given
 * @param deny peers matching any of these are refused
 */
public record Edge(ProxyProtocol sendProxy, boolean acceptProxy, List<Cidr> acceptProxyFrom, int maxConnections,
                   int maxConnectionsPerClient, List<Cidr> allow, List<Cidr> deny) {

    /** Copies the lists. */
    public Edge {
        acceptProxyFrom = List.copyOf(acceptProxyFrom);
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }
}
