package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import io.lb4j.HealthState;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The engine's side of a live pool, driven through the dynamic registry and real sockets. */
@ExtendWith(FaultOracle.class)
class LivePoolTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private NamedServer server() throws IOException {
        NamedServer s = new NamedServer();
        resources.add(s);
        return s;
    }

    private Balancer start(BackendRegistry registry, Balancer.Builder extra) {
        Balancer lb = extra.listen("127.0.0.1:0").registry(registry).policy(BalancingPolicy.roundRobin())
                .probe(HealthProbe.tcp()).probeInterval(Duration.ofMillis(500)).eventLoops(2)
                .drainTimeout(Duration.ZERO).build();
        resources.add(lb::closeNow);
        lb.start();
        return lb;
    }

    /** A client connection through the balancer, with the name its backend greeted it with. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final String backend;

        Client(InetSocketAddress lb) throws IOException {
            socket = new Socket();
            socket.setSoTimeout(5_000);
            socket.connect(lb, 5_000);
            backend = readLine(socket.getInputStream());
        }

        /** Sends and reads back bytes: proves the connection still relays. */
        boolean echoes(String text) {
            try {
                byte[] out = text.getBytes(StandardCharsets.US_ASCII);
                socket.getOutputStream().write(out);
                byte[] in = socket.getInputStream().readNBytes(out.length);
                return new String(in, StandardCharsets.US_ASCII).equals(text);
            } catch (IOException e) {
                return false;
            }
        }

        /** Whether the balancer closed it (EOF or reset within the read timeout). */
        boolean closedByPeer() {
            try {
                return socket.getInputStream().read() < 0;
            } catch (IOException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("closed before the greeting (got '" + line + "')");
                }
                line.append((char) c);
            }
            return line.toString();
        }
    }

    private Client connect(Balancer lb) throws IOException {
        Client c = new Client(lb.addresses().get(0));
        resources.add(c);
        return c;
    }

    private static void explainUntilUsable(Balancer lb, String name) throws Exception {
        java.net.InetSocketAddress client = new java.net.InetSocketAddress("127.0.0.1", 40000);
        Await.until(() -> name + " in the rebuilt selection", () -> lb.explain(client).candidates().stream()
                .anyMatch(c -> c.backend().name().equals(name) && (c.reason() == null || "fallback".equals(c.reason()))),
                Duration.ofSeconds(5));
    }

    private static BalancerStats.BackendStats stats(Balancer lb, String name) {
        for (BalancerStats.BackendStats s : lb.stats().backends()) {
            if (s.backend().name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    @Test
    void shouldSendNewConnectionsToAnAddedBackendAndNoneToARemovedOneWhoseConnectionsKeepRunning() throws Exception {
        NamedServer a = server();
        NamedServer b = server();
        BackendRegistry.Dynamic registry = BackendRegistry.dynamic(List.of(Backend.parse(a.name())));
        Balancer lb = start(registry, Balancer.builder());
        Client onA = connect(lb);
        assertEquals(a.name(), onA.backend);

        registry.add(Backend.parse(b.name()));
        Await.until("b up", () -> stats(lb, b.name()) != null && stats(lb, b.name()).state() == HealthState.UP,
                Duration.ofSeconds(5));
        // the selection is rebuilt on the control thread just after the state change: wait for it to show
        explainUntilUsable(lb, b.name());
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seen.add(connect(lb).backend);
        }
        assertTrue(seen.contains(b.name()) && seen.contains(a.name()), "round robin over both: " + seen);

        registry.remove(a.name());
        Await.until("a removed", () -> stats(lb, a.name()) == null, Duration.ofSeconds(5));
        for (int i = 0; i < 4; i++) {
            assertEquals(b.name(), connect(lb).backend);
        }
        assertTrue(onA.echoes("still relayed after removal"));
    }

    @Test
    void shouldCloseOpenConnectionsOnAdminDownAndProbeAtOnceWhenItComesBack() throws Exception {
        NamedServer a = server();
        NamedServer b = server();
        BackendRegistry.Dynamic registry = BackendRegistry.dynamic(
                List.of(Backend.parse(a.name()), Backend.parse(b.name())));
        // a long interval: only the probe the admin change triggers can bring it back quickly
        Balancer lb = start(registry, Balancer.builder().probeInterval(Duration.ofSeconds(60)));
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(connect(lb));
        }
        registry.setAdminState(a.name(), Backend.AdminState.DOWN);
        for (Client c : clients) {
            if (c.backend.equals(a.name())) {
                assertTrue(c.closedByPeer(), "connection to the admin-down backend closed");
            } else {
                assertTrue(c.echoes("untouched"), "connection to the other backend untouched");
            }
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(b.name(), connect(lb).backend);
        }
        registry.setAdminState(a.name(), Backend.AdminState.UP);
        // the regular probe is 60 s away: reaching a within 5 s proves the change probed it at once
        List<String> seen = new ArrayList<>();
        Await.until(() -> "a takes traffic again: " + seen, () -> {
            try {
                seen.add(connect(lb).backend);
            } catch (IOException e) {
                seen.add(e.toString());
            }
            return seen.contains(a.name());
        }, Duration.ofSeconds(5));
    }

    @Test
    void shouldLeaveOpenConnectionsRunningOnDrainButSendNoNewOnes() throws Exception {
        NamedServer a = server();
        NamedServer b = server();
        BackendRegistry.Dynamic registry = BackendRegistry.dynamic(
                List.of(Backend.parse(a.name()), Backend.parse(b.name())));
        Balancer lb = start(registry, Balancer.builder());
        List<Client> onA = new ArrayList<>();
        while (onA.size() < 2) {
            Client c = connect(lb);
            if (c.backend.equals(a.name())) {
                onA.add(c);
            }
        }
        registry.setAdminState(a.name(), Backend.AdminState.DRAIN);
        Await.until("drain applied", () -> stats(lb, a.name()).backend().adminState() == Backend.AdminState.DRAIN,
                Duration.ofSeconds(5));
        for (int i = 0; i < 4; i++) {
            assertEquals(b.name(), connect(lb).backend);
        }
        for (Client c : onA) {
            assertTrue(c.echoes("draining, not closed"));
        }
    }

    @Test
    void shouldCloseConnectionsOfARemovedBackendAfterTheGracePeriod() throws Exception {
        NamedServer a = server();
        BackendRegistry.Dynamic registry = BackendRegistry.dynamic(List.of(Backend.parse(a.name())));
        Balancer lb = start(registry, Balancer.builder().closeRemovedAfter(Duration.ofMillis(300)));
        Client c = connect(lb);
        long removedNs = System.nanoTime();
        registry.remove(a.name());
        assertTrue(c.echoes("within the grace period"));
        assertTrue(c.closedByPeer());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - removedNs);
        assertTrue(ms >= 250, "closed after " + ms + " ms, before the 300 ms grace");
    }

    @Test
    void shouldProbeAReAddedBackendAsANewMember() throws Exception {
        NamedServer a = server();
        NamedServer b = server();
        BackendRegistry.Dynamic registry = BackendRegistry.dynamic(List.of(Backend.parse(a.name())));
        Balancer lb = start(registry, Balancer.builder().probeInterval(Duration.ofSeconds(60)));
        registry.add(Backend.parse(b.name()));
        Await.until("b up", () -> stats(lb, b.name()) != null && stats(lb, b.name()).state() == HealthState.UP,
                Duration.ofSeconds(5));
        registry.remove(b.name());
        Await.until("b removed", () -> stats(lb, b.name()) == null, Duration.ofSeconds(5));
        b.close();
        registry.add(Backend.parse(b.name()));
        // the old member's UP must not carry over: the new one is probed (and found down) at once
        Await.until(() -> "re-added b probed: " + stats(lb, b.name()),
                () -> stats(lb, b.name()) != null && stats(lb, b.name()).state() == HealthState.DOWN,
                Duration.ofSeconds(5));
        for (int i = 0; i < 4; i++) {
            assertEquals(a.name(), connect(lb).backend);
        }
    }
}
