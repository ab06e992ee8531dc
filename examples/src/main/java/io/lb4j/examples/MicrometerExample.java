package io.lb4j.examples;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.BalancerStats.BackendStats;
import io.lb4j.HealthProbe;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * lb4j's figures in a Micrometer {@link MeterRegistry}, for a host that already reports through
 * Micrometer (Spring Boot, Quarkus, Micronaut, Helidon). {@link Lb4jMetrics} is a {@link MeterBinder}
 * with Micrometer's naming conventions (dotted lower-case names, base units, counters without a
 * {@code _total}: the registry adds its own suffixes), so a Prometheus registry shows
 * {@code lb4j_backend_connections_total}, an OTLP one {@code lb4j.backend.connections}. lb4j itself
 * does not depend on Micrometer: the binder reads {@link Balancer#stats()}.
 *
 * <p>Backends that join later (a {@link BackendRegistry}) get their meters when the figures are next
 * read, and the meters of backends that left are removed then.
 *
 * <pre>mvn -q -pl examples exec:java -Ddemo.main=io.lb4j.examples.MicrometerExample</pre>
 */
public final class MicrometerExample {
    private MicrometerExample() {
    }

    /** Binds one balancer's figures; the snapshot is read at most once per {@code maxAge}, whatever the meters. */
    public static final class Lb4jMetrics implements MeterBinder {
        private final Balancer balancer;
        private final Tags common;
        private final long maxAgeNs;
        private final Map<String, List<Meter>> backendMeters = new HashMap<>();
        private MeterRegistry registry;
        private BalancerStats snapshot;
        private long readAtNs;

        /**
         * @param balancer a started balancer
         * @param tags added to every meter, such as {@code Tags.of("balancer", "edge")}
         * @param maxAge how old a snapshot may be before meters read a new one (a scrape reads many
         *     meters, and {@code stats()} asks every event loop)
         */
        public Lb4jMetrics(Balancer balancer, Tags tags, Duration maxAge) {
            this.balancer = balancer;
            this.common = tags;
            this.maxAgeNs = maxAge.toNanos();
        }

        @Override
        public synchronized void bindTo(MeterRegistry meterRegistry) {
            this.registry = meterRegistry;
            Gauge.builder("lb4j.connections.active", this, m -> m.stats().activeConnections())
                    .tags(common).description("Client connections open now").register(meterRegistry);
            FunctionCounter.builder("lb4j.connections", this, m -> m.stats().totalConnections())
                    .tags(common).description("Client connections accepted").register(meterRegistry);
            FunctionCounter.builder("lb4j.connections.rejected", this, m -> m.stats().rejectedConnections())
                    .tags(common).description("Client connections closed by allow/deny, per-client limits "
                            + "and bad PROXY headers").register(meterRegistry);
            refresh();
        }

        /** The snapshot, read anew when older than the maximum age; adds and removes backends' meters. */
        synchronized BalancerStats stats() {
            long now = System.nanoTime();
            if (snapshot == null || now - readAtNs > maxAgeNs) {
                snapshot = balancer.stats();
                readAtNs = now;
                syncBackends();
            }
            return snapshot;
        }

        /** Reads a new snapshot now (meters of new backends appear, those of departed ones go). */
        public synchronized void refresh() {
            snapshot = null;
            stats();
        }

        private void syncBackends() {
            if (registry == null) {
                return;
            }
            Map<String, BackendStats> now = new HashMap<>();
            for (BackendStats b : snapshot.backends()) {
                now.put(b.backend().name(), b);
            }
            backendMeters.entrySet().removeIf(entry -> {
                if (now.containsKey(entry.getKey())) {
                    return false;
                }
                entry.getValue().forEach(registry::remove);
                return true;
            });
            for (String name : now.keySet()) {
                backendMeters.computeIfAbsent(name, this::register);
            }
        }

        private List<Meter> register(String backend) {
            Tags tags = common.and(Tag.of("backend", backend));
            List<Meter> meters = new ArrayList<>();
            meters.add(Gauge.builder("lb4j.backend.up", this, figure(backend, b -> b.up() ? 1 : 0)).tags(tags)
                    .description("1 when the backend is healthy and admin-up, else 0").register(registry));
            meters.add(Gauge.builder("lb4j.backend.connections.active", this,
                    figure(backend, BackendStats::activeConnections)).tags(tags)
                    .description("Connections open to the backend now").register(registry));
            meters.add(FunctionCounter.builder("lb4j.backend.connections", this,
                    figure(backend, BackendStats::totalConnections)).tags(tags)
                    .description("Connections established to the backend").register(registry));
            meters.add(FunctionCounter.builder("lb4j.backend.connect.failures", this,
                    figure(backend, BackendStats::connectFailures)).tags(tags)
                    .description("Failed connect attempts to the backend").register(registry));
            meters.add(FunctionCounter.builder("lb4j.backend.bytes", this,
                    figure(backend, BackendStats::bytesToBackend)).tags(tags.and("direction", "to_backend"))
                    .baseUnit("bytes").description("Bytes relayed").register(registry));
            meters.add(FunctionCounter.builder("lb4j.backend.bytes", this,
                    figure(backend, BackendStats::bytesToClient)).tags(tags.and("direction", "to_client"))
                    .baseUnit("bytes").description("Bytes relayed").register(registry));
            meters.add(FunctionTimer.builder("lb4j.backend.probe", this,
                    m -> m.backend(backend) == null ? 0 : m.backend(backend).probes().checks(),
                    m -> m.backend(backend) == null ? 0 : m.backend(backend).probes().totalNanos(),
                    TimeUnit.NANOSECONDS).tags(tags).description("Health probes and the time they took")
                    .register(registry));
            for (String reason : BalancerStats.ProbeStats.FAILURE_REASONS) {
                meters.add(FunctionCounter.builder("lb4j.backend.probe.failures", this,
                        figure(backend, b -> b.probes().failures().get(reason))).tags(tags.and("reason", reason))
                        .description("Failed health probes by reason").register(registry));
            }
            return meters;
        }

        private BackendStats backend(String name) {
            for (BackendStats b : stats().backends()) {
                if (b.backend().name().equals(name)) {
                    return b;
                }
            }
            return null; // gone: its meters are removed at this read
        }

        private ToDoubleFunction<Lb4jMetrics> figure(String backend, ToDoubleFunction<BackendStats> value) {
            return m -> {
                BackendStats b = m.backend(backend);
                return b == null ? Double.NaN : value.applyAsDouble(b);
            };
        }
    }

    /**
     * Two echo backends, a balancer, a few connections through it, then the registry's view.
     *
     * @param args ignored
     * @throws Exception when the example fails
     */
    public static void main(String[] args) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        run(registry);
        System.out.println(registry.getMetersAsString());
    }

    /**
     * The example's work: binds a balancer named {@code edge} to {@code registry}, sends three echoed
     * messages through it, adds a third backend at run time and reads the meters once more.
     *
     * @param registry where the meters go
     * @return the bytes the registry counted towards the backends, in all
     * @throws Exception when the example fails
     */
    static double run(MeterRegistry registry) throws Exception {
        try (ServerSocket one = echo(); ServerSocket two = echo(); ServerSocket three = echo()) {
            BackendRegistry.Dynamic pool = BackendRegistry.dynamic();
            pool.add(Backend.parse("127.0.0.1:" + one.getLocalPort()));
            pool.add(Backend.parse("127.0.0.1:" + two.getLocalPort()));
            try (Balancer lb = Balancer.builder().name("edge").listen("127.0.0.1:0").registry(pool)
                    .probe(HealthProbe.tcp()).build()) {
                lb.start();
                Lb4jMetrics metrics = new Lb4jMetrics(lb, Tags.of("balancer", "edge"), Duration.ofSeconds(1));
                metrics.bindTo(registry);
                for (int i = 0; i < 3; i++) {
                    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), lb.addresses().get(0).getPort())) {
                        client.getOutputStream().write("hello\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        client.getInputStream().readNBytes(6);
                    }
                }
                pool.add(Backend.parse("127.0.0.1:" + three.getLocalPort()));
                metrics.refresh();
                return registry.find("lb4j.backend.bytes").tag("direction", "to_backend").functionCounters().stream()
                        .mapToDouble(FunctionCounter::count).sum();
            }
        }
    }

    /** An echo server on loopback, a thread per connection. */
    static ServerSocket echo() throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    Thread copy = new Thread(() -> {
                        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException e) {
                            // the peer went away
                        }
                    }, "echo");
                    copy.setDaemon(true);
                    copy.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }, "echo-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }
}
