package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A client connection as a policy sees it. */
record TestFlow(InetSocketAddress client, InetSocketAddress frontend) implements BalancingPolicy.Flow {

    /** IPv4 client {@code ip}:{@code port} connecting to 127.0.0.1:{@code frontendPort}. */
    static TestFlow of(int ip, int port, int frontendPort) {
        byte[] b = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
        try {
            return new TestFlow(new InetSocketAddress(InetAddress.getByAddress(b), port),
                    new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), frontendPort));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code host}:{@code port} (an IP literal) connecting to {@code frontend}. */
    static TestFlow of(String host, int port, String frontendHost, int frontendPort) {
        try {
            return new TestFlow(new InetSocketAddress(InetAddress.getByName(host), port),
                    new InetSocketAddress(InetAddress.getByName(frontendHost), frontendPort));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
