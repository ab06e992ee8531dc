package io.lb4j;

import io.lb4j.testing.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.StringJoiner;

/**
 * Run by {@link FailurePathTest} in a JVM started with {@code -Djava.net.preferIPv4Stack=true}: an IPv6
 * backend there cannot even have its socket opened ({@code UnsupportedOperationException}). Round
 * robin over a refusing IPv4 backend and the IPv6 one puts that failure both in the acceptor's first
 * pick and in a pair's own handler (the next attempt after a refused connect). Prints one {@code RESULT}
 * line for the test to check.
 */
public final class Ipv4OnlyChild {
    private Ipv4OnlyChild() {
    }

    /** Runs the scenario; exit 0 unless something threw. */
    public static void main(String[] args) throws Exception {
        int refused;
        try (ServerSocket free = new ServerSocket(0)) {
            refused = free.getLocalPort();
        }
        try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + refused)
                .backend("[::1]:9").policy(BalancingPolicy.roundRobin()).probe(null).connectAttempts(2)
                .idleTimeout(Duration.ZERO).eventLoops(1).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            StringJoiner clients = new StringJoiner(",");
            for (int i = 0; i < 4; i++) {
                try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                    clients.add(outcome(s));
                } catch (IOException e) {
                    clients.add("refused");
                }
            }
            // reported either way: the test checks the figures
            BalancerStats stats = Await.settle(lb::stats, s -> s.activeConnections() == 0, Duration.ofSeconds(5));
            long backendActive = 0;
            for (BalancerStats.BackendStats b : stats.backends()) {
                backendActive += b.activeConnections();
            }
            System.out.println("RESULT clients=" + clients + " accepted=" + stats.totalConnections()
                    + " active=" + stats.activeConnections() + " backendActive=" + backendActive
                    + " faults=" + stats.faults());
        }
    }

    private static String outcome(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        try {
            return s.getInputStream().read() < 0 ? "closed" : "data";
        } catch (SocketTimeoutException e) {
            return "hung";
        } catch (SocketException e) {
            return "closed"; // reset
        }
    }
}
