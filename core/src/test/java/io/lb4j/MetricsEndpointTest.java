package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class MetricsEndpointTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    record Response(int status, Map<String, String> headers, String body) {
    }

    /** A real HTTP/1.1 GET over a plain socket, read to the end (the server closes). */
    static Response request(InetSocketAddress address, String head) throws IOException {
        try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                all.write(buffer, 0, n);
            }
            String text = all.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String[] lines = text.substring(0, split).split("\r\n");
            String[] status = lines[0].split(" ", 3);
            assertEquals("HTTP/1.1", status[0]);
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
            }
            String body = text.substring(split + 4);
            assertEquals(body.getBytes(StandardCharsets.UTF_8).length, Integer.parseInt(headers.get("Content-Length")));
            return new Response(Integer.parseInt(status[1]), headers, body);
        }
    }

    static Response get(InetSocketAddress address, String path) throws IOException {
        return request(address, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n");
    }

    private static Balancer.Builder balancer(EchoServer... backends) {
        Balancer.Builder b = Balancer.builder().listen("127.0.0.1:0").metricsAddress("127.0.0.1:0")
                .policy(BalancingPolicy.roundRobin()).eventLoops(2);
        for (EchoServer e : backends) {
            b.backend(e.hostPort());
        }
        return b;
    }

    @Test
    void shouldServeEverySeriesAtZeroFromStart() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start(); Balancer lb = balancer(a, b).build()) {
            lb.start();
            Response r = get(lb.metricsAddress(), "/metrics");
            assertEquals(200, r.status());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().get("Content-Type"));
            PrometheusParser.Exposition e = PrometheusParser.parse(r.body());
            for (EchoServer backend : List.of(a, b)) {
                String label = "{backend=\"" + backend.hostPort() + "\"}";
                assertEquals(1.0, e.value("lb4j_backend_up" + label));
                assertEquals(0.0, e.value("lb4j_backend_active_connections" + label));
                assertEquals(0.0, e.value("lb4j_backend_connections_total" + label));
                assertEquals(0.0, e.value("lb4j_backend_connect_failures_total" + label));
                assertEquals(0.0, e.value("lb4j_backend_bytes_total{backend=\"" + backend.hostPort()
                        + "\",direction=\"to_backend\"}"));
                assertEquals(0.0, e.value("lb4j_backend_bytes_total{backend=\"" + backend.hostPort()
                        + "\",direction=\"to_client\"}"));
            }
            assertEquals(0.0, e.value("lb4j_active_connections"));
            assertEquals(0.0, e.value("lb4j_connections_total"));
            assertEquals(0.0, e.value("lb4j_rejected_connections_total"));
            for (String global : List.of("lb4j_accept_limit_pauses_total", "lb4j_accept_rate_pauses_total",
                    "lb4j_accept_resource_pauses_total", "lb4j_rebalanced_connections_total", "lb4j_faults_total",
                    "lb4j_event_loop_failures_total")) {
                assertEquals(0.0, e.value(global), global);
                assertEquals("counter", e.types().get(global), global);
            }
            for (EchoServer backend : List.of(a, b)) {
                // the first probe of each has finished (and passed, as every later one)
                assertTrue(e.value("lb4j_backend_probe_duration_seconds_count{backend=\"" + backend.hostPort() + "\"}") >= 1);
                for (String reason : BalancerStats.ProbeStats.FAILURE_REASONS) {
                    assertEquals(0.0, e.value("lb4j_backend_probe_failures_total{backend=\"" + backend.hostPort()
                            + "\",reason=\"" + reason + "\"}"), reason);
                }
            }
            assertEquals("summary", e.types().get("lb4j_backend_probe_duration_seconds"));
            for (String status : List.of("2xx", "4xx", "5xx")) { // the admin API's, at 0 without --admin
                assertEquals(0.0, e.value("lb4j_admin_requests_total{status=\"" + status + "\"}"), status);
            }
            assertEquals(0.0, e.value("lb4j_admin_changes_total"));
            for (String reason : List.of("no-backend", "backend-full", "connect-failed", "queue-timeout")) {
                assertEquals(0.0, e.value("lb4j_unserved_connections_total{reason=\"" + reason + "\"}"), reason);
            }
            assertEquals("counter", e.types().get("lb4j_unserved_connections_total"));
            assertEquals(0.0, e.value("lb4j_queued_connections"));
            assertEquals("gauge", e.types().get("lb4j_queued_connections"));
            assertEquals(0.0, e.value("lb4j_queue_wait_seconds_sum"));
            assertEquals(0.0, e.value("lb4j_queue_wait_seconds_count"));
            assertEquals("summary", e.types().get("lb4j_queue_wait_seconds"));
            assertEquals(2 * (6 + 2 + 6) + 3 + 4 + 3 + 1 + 6 + 3, e.samples().size());
            assertEquals("gauge", e.types().get("lb4j_backend_up"));
            assertEquals("gauge", e.types().get("lb4j_active_connections"));
            assertEquals("counter", e.types().get("lb4j_backend_bytes_total"));
            assertEquals("counter", e.types().get("lb4j_rejected_connections_total"));
            assertEquals(21, e.help().size());
        }
    }

    @Test
    void shouldAgreeWithTrafficActuallySent() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start(); Balancer lb = balancer(a, b).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            int clients = 10;
            long[] sentTo = new long[2];
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            long total = 0;
            for (int i = 0; i < clients; i++) {
                int size = 1000 * (i + 1) + i;
                total += size;
                Thread t = new Thread(() -> {
                    try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                        s.setSoTimeout(10_000);
                        byte[] data = new byte[size];
                        new Random(size).nextBytes(data);
                        s.getOutputStream().write(data);
                        s.shutdownOutput();
                        long got = s.getInputStream().transferTo(OutputStreamSink.INSTANCE);
                        assertEquals(size, got);
                    } catch (Throwable x) {
                        synchronized (failures) {
                            failures.add(x);
                        }
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join(20_000);
            }
            assertEquals(List.of(), failures);
            Await.until("connections closed", () -> lb.stats().activeConnections() == 0, WAIT);
            PrometheusParser.Exposition e = PrometheusParser.parse(get(lb.metricsAddress(), "/metrics").body());
            assertEquals(clients, e.value("lb4j_connections_total"));
            assertEquals(0.0, e.value("lb4j_active_connections"));
            double toBackend = 0;
            double toClient = 0;
            double connections = 0;
            int i = 0;
            for (EchoServer backend : List.of(a, b)) {
                toBackend += e.value("lb4j_backend_bytes_total{backend=\"" + backend.hostPort()
                        + "\",direction=\"to_backend\"}");
                toClient += e.value("lb4j_backend_bytes_total{backend=\"" + backend.hostPort()
                        + "\",direction=\"to_client\"}");
                connections += e.value("lb4j_backend_connections_total{backend=\"" + backend.hostPort() + "\"}");
                sentTo[i++] = (long) e.value("lb4j_backend_bytes_total{backend=\"" + backend.hostPort()
                        + "\",direction=\"to_backend\"}");
            }
            assertEquals(total, (long) toBackend);
            assertEquals(total, (long) toClient);
            assertEquals(clients, (long) connections);

            Response json = get(lb.metricsAddress(), "/stats");
            assertEquals(200, json.status());
            assertEquals("application/json", json.headers().get("Content-Type"));
            String body = json.body();
            assertTrue(body.startsWith("{\"activeConnections\":0,\"totalConnections\":" + clients
                    + ",\"rejectedConnections\":0,\"listeners\":[{\"address\":\"127.0.0.1:" + front.getPort() + "\""), body);
            assertTrue(body.contains("{\"backend\":\"" + a.hostPort() + "\",\"weight\":1,\"adminState\":\"up\","
                    + "\"state\":\"up\""), body);
            assertTrue(body.endsWith("],\"acceptPauses\":{\"limit\":0,\"rate\":0,\"resources\":0},"
                    + "\"rebalancedConnections\":0,\"unservedConnections\":{\"noBackend\":0,\"backendFull\":0,"
                    + "\"connectFailed\":0,\"queueTimeout\":0},\"faults\":0,\"eventLoopFailures\":0,"
                    + "\"queue\":{\"waiting\":0,\"served\":0,\"waitedNanos\":0}}"), body);
            assertTrue(body.contains("\"bytesToBackend\":" + sentTo[0] + ","), body);
            assertTrue(body.contains("\"bytesToBackend\":" + sentTo[1] + ","), body);
        }
    }

    /** Discards what it is given. */
    static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }

    @Test
    void shouldAnswerUnknownPathsWrongMethodsAndOversizedHeads() throws Exception {
        try (EchoServer a = EchoServer.start(); Balancer lb = balancer(a).build()) {
            lb.start();
            InetSocketAddress m = lb.metricsAddress();
            assertEquals(404, get(m, "/nope").status());
            assertEquals(200, get(m, "/metrics?name[]=x").status());
            assertEquals(405, request(m, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").status());
            assertEquals(400, request(m, "NONSENSE\r\n\r\n").status());
            String huge = "GET /metrics HTTP/1.1\r\nX-Filler: " + "a".repeat(10_000) + "\r\n\r\n";
            assertEquals(431, request(m, huge).status());
            assertEquals(200, get(m, "/stats").status(), "still serving after bad requests");
        }
    }

    @Test
    void shouldFailStartWhenMetricsAddressIsInUse() throws Exception {
        try (EchoServer a = EchoServer.start(); Balancer first = balancer(a).build()) {
            first.start();
            InetSocketAddress taken = first.metricsAddress();
            Balancer second = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort())
                    .metricsAddress(taken).build();
            java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, second::start);
            assertTrue(e.getMessage().startsWith("metrics 127.0.0.1:" + taken.getPort()), e.getMessage());
            second.close();
        }
    }

    @Test
    void shouldExposeFiguresAsMBeansAndUnregisterThemOnClose() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName balancerName;
        ObjectName backendName;
        try (EchoServer a = EchoServer.start(); Balancer lb = balancer(a).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            balancerName = new ObjectName("io.lb4j:type=Balancer,name=\"127.0.0.1:" + front.getPort() + "\"");
            backendName = new ObjectName("io.lb4j:type=Backend,balancer=\"127.0.0.1:" + front.getPort()
                    + "\",name=\"" + a.hostPort() + "\"");
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[] {1, 2, 3});
                s.shutdownOutput();
                assertEquals(3, s.getInputStream().readAllBytes().length);
            }
            Await.until("closed", () -> lb.stats().activeConnections() == 0, WAIT);
            assertEquals(1L, server.getAttribute(balancerName, "TotalConnections"));
            assertEquals(0L, server.getAttribute(balancerName, "ActiveConnections"));
            assertEquals(1, server.getAttribute(balancerName, "UpBackends"));
            assertEquals(true, server.getAttribute(backendName, "Up"));
            assertEquals("UP", server.getAttribute(backendName, "State"));
            assertEquals(3L, server.getAttribute(backendName, "BytesToBackend"));
            assertEquals(3L, server.getAttribute(backendName, "BytesToClient"));
            assertEquals(1L, server.getAttribute(backendName, "TotalConnections"));
        }
        assertFalse(server.isRegistered(balancerName));
        assertFalse(server.isRegistered(backendName));
    }

    @Test
    void shouldRegisterNoMBeansWhenJmxIsOff() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try (EchoServer a = EchoServer.start(); Balancer lb = balancer(a).jmx(false).build()) {
            lb.start();
            int port = lb.addresses().get(0).getPort();
            assertFalse(server.isRegistered(new ObjectName("io.lb4j:type=Balancer,name=\"127.0.0.1:" + port + "\"")));
        }
    }

    @Test
    void shouldRecordFlightEventsWhileRecording() throws Exception {
        Path file = Files.createTempFile("lb4j", ".jfr");
        try (EchoServer a = EchoServer.start(); Balancer lb = balancer(a).jmx(false).build();
             Recording recording = new Recording()) {
            recording.enable("io.lb4j.ConnectionOpened");
            recording.enable("io.lb4j.ConnectionClosed");
            recording.start();
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            int localPort;
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                localPort = s.getLocalPort();
                s.setSoTimeout(10_000);
                s.getOutputStream().write(new byte[1234]);
                s.shutdownOutput();
                assertEquals(1234, s.getInputStream().readAllBytes().length);
            }
            Await.until("closed", () -> lb.stats().activeConnections() == 0, WAIT);
            recording.stop();
            recording.dump(file);
            List<RecordedEvent> closed = new ArrayList<>();
            int opened = 0;
            for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
                String name = event.getEventType().getName();
                if (name.equals("io.lb4j.ConnectionClosed")) {
                    closed.add(event);
                } else if (name.equals("io.lb4j.ConnectionOpened")) {
                    opened++;
                }
            }
            assertEquals(1, opened);
            assertEquals(1, closed.size());
            RecordedEvent e = closed.get(0);
            assertEquals("127.0.0.1:" + localPort, e.getString("client"));
            assertEquals(a.hostPort(), e.getString("backend"));
            assertEquals(1234L, e.getLong("bytesToBackend"));
            assertEquals(1234L, e.getLong("bytesToClient"));
            assertEquals("closed", e.getString("reason"));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void shouldRejectMalformedExpositionInTheTestParser() {
        assertThrows(IllegalArgumentException.class, () -> PrometheusParser.parse("a 1"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusParser.parse("a{b=\"c} 1\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusParser.parse("a 1\nb 2\na 3\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusParser.parse("a 1\n# TYPE a gauge\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusParser.parse("a{x=\"\\t\"} 1\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusParser.parse("a one\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusParser.parse("a 1\na 2\n"));
        assertEquals(2.0, PrometheusParser.parse("# TYPE a gauge\na{x=\"q\\\"\"} 2\n").value("a{x=\"q\"\"}"));
    }
}
