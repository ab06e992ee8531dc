package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.internal.engine.Engine;
import io.lb4j.internal.engine.EngineAccess;
import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README demo's shape under churn: 32 clients that check every echo while backends are killed
 * with resets, restarted, drained, removed and added. Nothing may be lost, reordered or left behind:
 * 0 faults, 0 active connections, the loops' selectors back to the listeners' keys, the process's
 * descriptors back to where they were.
 */
@ExtendWith(FaultOracle.class)
class ChurnTest {
    private static final int CLIENTS = 32;
    private static final Duration WAIT = Duration.ofSeconds(15);

    /** What the clients saw. */
    private static final class Tally {
        final AtomicLong verified = new AtomicLong();
        final AtomicLong corrupted = new AtomicLong();
        final AtomicLong cut = new AtomicLong();
        final AtomicLong hung = new AtomicLong();
        final AtomicLong sessions = new AtomicLong();
    }

    /**
     * Sessions of echoed messages, until {@code stop}: short ones (a few messages) or, for a
     * long-lived client (as the demo's WebSocket chats), hundreds; returns the messages it verified.
     */
    private static long client(InetSocketAddress front, long seed, boolean longLived, AtomicBoolean stop, Tally tally) {
        SplittableRandom random = new SplittableRandom(seed);
        long mine = 0;
        while (!stop.get()) {
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                s.setSoTimeout(5_000);
                tally.sessions.incrementAndGet();
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                for (int i = 0, n = longLived ? 300 + random.nextInt(300) : 3 + random.nextInt(12); i < n && !stop.get(); i++) {
                    byte[] message = new byte[1 + random.nextInt(4096)];
                    random.nextBytes(message);
                    out.write(message);
                    byte[] echo = in.readNBytes(message.length);
                    if (echo.length < message.length) {
                        // the backend died (or was closed) mid-message: only an exact prefix is acceptable
                        if (!Arrays.equals(echo, Arrays.copyOf(message, echo.length))) {
                            tally.corrupted.incrementAndGet();
                        }
                        tally.cut.incrementAndGet();
                        break;
                    }
                    if (Arrays.equals(echo, message)) {
                        tally.verified.incrementAndGet();
                        mine++;
                    } else {
                        tally.corrupted.incrementAndGet();
                        break;
                    }
                }
            } catch (SocketTimeoutException e) {
                tally.hung.incrementAndGet();
            } catch (SocketException | EOFException e) {
                tally.cut.incrementAndGet(); // reset by a killed backend: the client reconnects
            } catch (IOException e) {
                tally.cut.incrementAndGet();
            }
        }
        return mine;
    }

    @Test
    void shouldLoseNothingAndLeaveNothingBehindWhileBackendsDieRestartDrainLeaveAndJoin() throws Exception {
        int descriptorsBefore = FaultOracle.openDescriptors();
        List<EchoServer> servers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            servers.add(EchoServer.start());
        }
        List<Backend> initial = new ArrayList<>();
        for (EchoServer s : servers) {
            initial.add(Backend.parse(s.hostPort()));
        }
        BackendRegistry.Dynamic registry = BackendRegistry.dynamic(initial);
        Tally tally = new Tally();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        EchoServer added = null;
        try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(registry)
                .policy(BalancingPolicy.leastConnections()).probe(HealthProbe.tcp())
                .probeInterval(Duration.ofMillis(200)).probeTimeout(Duration.ofMillis(500))
                .connectTimeout(Duration.ofSeconds(1)).eventLoops(2).build()) {
            lb.start();
            Engine engine = EngineAccess.engine(lb);
            InetSocketAddress front = lb.addresses().get(0);
            List<Future<Long>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                long seed = 1000 + i;
                boolean longLived = i % 2 == 0;
                clients.add(pool.submit(() -> client(front, seed, longLived, stop, tally)));
            }
            Await.until("traffic on every backend", () -> servers.stream().allMatch(s -> s.accepted() > 3), WAIT);

            EchoServer victim = servers.get(0);
            int victimPort = victim.port();
            Await.until("clients on the backend about to die", () -> victim.open() >= 3, WAIT);
            victim.kill(); // its open connections are reset
            Await.until("the killed backend marked down", () -> state(lb, victimPort) == HealthState.DOWN, WAIT);
            EchoServer restarted = EchoServer.start(new InetSocketAddress("127.0.0.1", victimPort));
            servers.set(0, restarted);
            Await.until("the restarted backend up and serving", () -> state(lb, victimPort) == HealthState.UP
                    && restarted.accepted() > 3, WAIT);

            EchoServer drained = servers.get(1);
            registry.setAdminState(drained.hostPort(), Backend.AdminState.DRAIN);
            Await.until("the drain applied", () -> lb.stats().backends().stream().anyMatch(b -> b.backend().name()
                    .equals(drained.hostPort()) && b.backend().adminState() == Backend.AdminState.DRAIN), WAIT);
            long drainedAt = relayedTo(lb, drained.hostPort()); // not drained.accepted(): probes go on
            long beforeDrain = tally.verified.get();
            Await.until("work goes on during the drain", () -> tally.verified.get() > beforeDrain + 300, WAIT);
            EchoServer removed = servers.get(2);
            Await.until("clients on the backend about to leave", () -> removed.open() >= 1, WAIT);
            registry.remove(removed.hostPort());
            EchoServer joined = EchoServer.start();
            added = joined;
            registry.add(Backend.parse(joined.hostPort()));
            Await.until("the added backend serving", () -> joined.accepted() > 3, WAIT);
            long before = tally.verified.get();
            Await.until("clients still verified echoes after the churn", () -> tally.verified.get() > before + 200,
                    WAIT);

            stop.set(true);
            long verified = 0;
            for (Future<Long> c : clients) {
                long mine = c.get(30, TimeUnit.SECONDS);
                assertTrue(mine > 0, "every client had echoes verified");
                verified += mine;
            }
            String seen = "verified " + verified + ", cut " + tally.cut.get() + ", sessions " + tally.sessions.get();
            assertEquals(0, tally.corrupted.get(), "no byte lost, reordered or changed: " + seen);
            assertEquals(0, tally.hung.get(), "no client left waiting: " + seen);
            assertTrue(tally.cut.get() > 0, "the kill reset some clients: " + seen);
            // a connect already under way when the drain applied may still land there, nothing later
            long late = relayedTo(lb, drained.hostPort()) - drainedAt;
            assertTrue(late <= 4, "the drained backend took " + late + " new clients: " + seen);

            Await.until("every connection closed", () -> lb.stats().activeConnections() == 0, WAIT);
            Await.until("the selectors back to the listeners' keys",
                    () -> engine.registeredKeys() == engine.listeners(), WAIT);
            BalancerStats stats = lb.stats();
            assertEquals(0, stats.faults(), "no engine fault: " + seen);
            for (BalancerStats.BackendStats b : stats.backends()) {
                assertEquals(0, b.activeConnections(), b.backend().name());
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
            for (EchoServer s : servers) {
                s.close();
            }
            if (added != null) {
                added.close();
            }
        }
        if (descriptorsBefore >= 0) {
            Await.until("the process's descriptors back to their baseline of " + descriptorsBefore,
                    () -> FaultOracle.openDescriptors() <= descriptorsBefore, WAIT);
        }
    }

    /** Client connections the balancer relayed to {@code name} (health probes are not among them). */
    private static long relayedTo(Balancer lb, String name) {
        for (BalancerStats.BackendStats b : lb.stats().backends()) {
            if (b.backend().name().equals(name)) {
                return b.totalConnections();
            }
        }
        throw new AssertionError("no backend " + name);
    }

    private static HealthState state(Balancer lb, int port) {
        for (BalancerStats.BackendStats b : lb.stats().backends()) {
            if (b.backend().port() == port) {
                return b.state();
            }
        }
        return null;
    }
}
