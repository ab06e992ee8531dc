package io.lb4j.examples;

import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A user's own {@link BalancingPolicy}: prefer backends in this host's zone, fall back to the others.
 * {@code main} starts two loopback backends (one "here", one "elsewhere"), a balancer with the policy,
 * makes a few connections, prints where each went, then takes the local backend out and shows the
 * fallback, and closes everything.
 */
public final class ZoneAwarePolicyExample {

    /** Round robin among usable backends of {@code localZone} first, then among the rest. */
    static BalancingPolicy zoneAware(String localZone, Map<String, String> zoneOfBackend) {
        AtomicInteger cursor = new AtomicInteger();
        return new BalancingPolicy() {
            @Override
            public String name() {
                return "zone-aware";
            }

            @Override
            public Selection rebuild(List<Candidate> candidates, Selection previous) {
                // split once per rebuild, so that a pick only reads arrays (no locks, no allocation)
                int[] local = candidates.stream().filter(c -> localZone.equals(zoneOfBackend.get(c.backend().name())))
                        .mapToInt(candidates::indexOf).toArray();
                int[] remote = candidates.stream().filter(c -> !localZone.equals(zoneOfBackend.get(c.backend().name())))
                        .mapToInt(candidates::indexOf).toArray();
                return (flow, order) -> {
                    int turn = cursor.getAndIncrement() & Integer.MAX_VALUE;
                    int written = rotate(candidates, local, turn, order, 0);
                    return rotate(candidates, remote, turn, order, written);
                };
            }
        };
    }

    /** Appends the usable candidates of {@code positions}, starting at {@code turn}, to {@code order}. */
    private static int rotate(List<BalancingPolicy.Candidate> candidates, int[] positions, int turn, int[] order,
                              int written) {
        for (int k = 0; k < positions.length && written < order.length; k++) {
            int position = positions[(k + turn) % positions.length];
            if (candidates.get(position).usable()) {
                order[written++] = position;
            }
        }
        return written;
    }

    /**
     * Runs the demonstration and prints what happened.
     *
     * @param args ignored
     * @throws Exception when a socket cannot be opened
     */
    public static void main(String[] args) throws Exception {
        run().forEach(System.out::println);
    }

    /** Runs the demonstration; returns a line per connection, once everything is closed. */
    static List<String> run() throws Exception {
        List<String> story = new java.util.ArrayList<>();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        ServerSocket here = new ServerSocket(0, 50, loopback);
        ServerSocket elsewhere = new ServerSocket(0, 50, loopback);
        List<Thread> servers = List.of(serve(here, "zone-a backend"), serve(elsewhere, "zone-b backend"));
        String hereName = "127.0.0.1:" + here.getLocalPort();
        String elsewhereName = "127.0.0.1:" + elsewhere.getLocalPort();
        Balancer lb = Balancer.builder()
                .listen("127.0.0.1:0")
                .backend(hereName)
                .backend(elsewhereName)
                .policy(zoneAware("zone-a", Map.of(hereName, "zone-a", elsewhereName, "zone-b")))
                .probe(null) // every backend counts as up
                .eventLoops(1)
                .drainTimeout(Duration.ZERO)
                .build();
        try {
            lb.start();
            for (int i = 1; i <= 3; i++) {
                story.add("connection " + i + " -> " + ask(lb));
            }
            here.close(); // the local backend dies: its connect fails and the policy's fallback is tried
            servers.get(0).join(5_000); // its socket is fully closed once the accepting thread is out
            story.add("local backend gone; connection 4 -> " + ask(lb));
        } finally {
            lb.close();
            here.close();
            elsewhere.close();
            for (Thread t : servers) {
                t.join(5_000);
            }
        }
        return story;
    }

    private static String ask(Balancer lb) throws IOException {
        try (Socket s = new Socket()) {
            s.setSoTimeout(5_000);
            s.connect(lb.addresses().get(0), 5_000);
            InputStream in = s.getInputStream();
            byte[] reply = in.readAllBytes();
            return new String(reply, StandardCharsets.UTF_8).strip();
        }
    }

    private static Thread serve(ServerSocket server, String reply) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(reply.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed: done
                }
            }
        }, reply);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private ZoneAwarePolicyExample() {
    }
}
