package io.lb4j.internal.cli;

import io.lb4j.Backend;
import io.lb4j.Balancer;
import io.lb4j.ConnectionEvent;
import io.lb4j.testing.Await;
import io.lb4j.testing.ChildJvm;
import io.lb4j.testing.FaultOracle;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(FaultOracle.class)
class AccessLogTest {
    private static final Pattern LINE = Pattern.compile(
            "(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,3})?Z) (127\\.0\\.0\\.1:\\d+) (\\S+) (\\d+)ms (\\d+) (\\d+) (.+)");

    @Test
    void shouldFormatOneLineWithTimeClientBackendDurationBytesAndReason() {
        ConnectionEvent event = new ConnectionEvent(Instant.parse("2025-01-31T12:00:00.123456Z"),
                new InetSocketAddress("10.1.2.3", 51234), new InetSocketAddress("0.0.0.0", 8080),
                Backend.parse("[::1]:9000"), Duration.ofMillis(1503), 517, 20480, "client reset");
        assertEquals("2025-01-31T12:00:00.123Z 10.1.2.3:51234 [::1]:9000 1503ms 517 20480 client reset",
                AccessLog.line(event));
        ConnectionEvent rejected = new ConnectionEvent(Instant.parse("2025-01-31T12:00:01Z"),
                new InetSocketAddress("::1", 4000), new InetSocketAddress("::1", 8080), null, Duration.ZERO, 0, 0,
                "no usable backend");
        assertEquals("2025-01-31T12:00:01Z [::1]:4000 - 0ms 0 0 no usable backend",
                AccessLog.line(rejected));
    }

    @Test
    void shouldEndTheLineWithTheAzureLinkIdWhenTheHeaderCarriedOne() {
        io.lb4j.ProxyTlvs tlvs = io.lb4j.ProxyTlvs.none().with(0xe0, new byte[] {9})
                .with(io.lb4j.ProxyTlvs.TYPE_AZURE, new byte[] {1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        ConnectionEvent event = new ConnectionEvent(Instant.parse("2025-01-31T12:00:00Z"),
                new InetSocketAddress("10.1.2.3", 51234), new InetSocketAddress("0.0.0.0", 8080),
                Backend.parse("10.0.0.11:9000"), Duration.ofMillis(7), 1, 2, "client reset", tlvs);
        assertEquals("2025-01-31T12:00:00Z 10.1.2.3:51234 10.0.0.11:9000 7ms 1 2 client reset linkid=4294967295",
                AccessLog.line(event));
        ConnectionEvent other = new ConnectionEvent(event.time(), event.client(), event.frontend(), event.backend(),
                event.duration(), 1, 2, "closed", io.lb4j.ProxyTlvs.none().with(0xe0, new byte[] {9}));
        assertEquals("2025-01-31T12:00:00Z 10.1.2.3:51234 10.0.0.11:9000 7ms 1 2 closed", AccessLog.line(other),
                "no LINKID, no field");
    }

    @Test
    void shouldPrintOneLinePerClosedConnectionWithExactByteCounts() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        try (ServerSocket backend = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = backend.accept()) {
                    InputStream in = s.getInputStream();
                    in.readNBytes(300);
                    OutputStream o = s.getOutputStream();
                    o.write(new byte[4321]);
                    s.shutdownOutput();
                    in.read();
                } catch (Exception ignored) {
                    // the assertions below tell
                }
            });
            server.start();
            AccessLog log = new AccessLog(out);
            Socket client;
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + backend.getLocalPort())
                    .probe(null).eventLoops(1).jmx(false).listener(log).build()) {
                lb.start();
                log.start();
                InetSocketAddress front = lb.addresses().get(0);
                client = new Socket(front.getAddress(), front.getPort());
                try (client) {
                    client.setSoTimeout(10_000);
                    client.getOutputStream().write(new byte[300]);
                    assertEquals(4321, client.getInputStream().readAllBytes().length);
                }
                Await.until("an access log line", () -> captured.size() > 0
                        && captured.toString(StandardCharsets.UTF_8).endsWith("\n"), Duration.ofSeconds(10));
            } finally {
                log.close();
                server.join(10_000);
            }
            String text = captured.toString(StandardCharsets.UTF_8);
            String[] lines = text.split("\n");
            assertEquals(1, lines.length, text);
            Matcher m = LINE.matcher(lines[0]);
            assertTrue(m.matches(), lines[0]);
            assertEquals("127.0.0.1:" + client.getLocalPort(), m.group(3));
            assertEquals("127.0.0.1:" + backend.getLocalPort(), m.group(4));
            assertEquals("300", m.group(6));
            assertEquals("4321", m.group(7));
            assertEquals("closed", m.group(8));
        }
    }

    @Test
    void shouldAcceptMetricsAndAccessLogOptions() {
        Options o = Options.parse("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--metrics", "127.0.0.1:9100",
                "--access-log");
        assertTrue(o.accessLog());
        Options.parse("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--metrics=[::1]:0").toBuilder().build();
    }

    @Test
    void shouldRejectBadMetricsAddressNamingTheOption() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Options.parse("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--metrics", "nope"));
        assertTrue(e.getMessage().startsWith("--metrics: "), e.getMessage());
        IllegalArgumentException flag = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Options.parse("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:1", "--access-log=yes"));
        assertEquals("--access-log: takes no value", flag.getMessage());
    }
    @Test
    void shouldPrintAccessLogLinesAfterTheReadyLineAndServeMetricsFromTheCli() throws Exception {
        try (io.lb4j.testing.EchoServer echo = io.lb4j.testing.EchoServer.start()) {
            int metricsPort;
            try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                metricsPort = free.getLocalPort();
            }
            Process p = ChildJvm.process("io.lb4j.internal.cli.Main",
                    "--listen", "127.0.0.1:0", "--backend", echo.hostPort(), "--threads", "1",
                    "--metrics", "127.0.0.1:" + metricsPort, "--access-log", "--drain-timeout", "2s")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String ready = out.readLine();
                Matcher r = Pattern.compile("lb4j listening on 127\\.0\\.0\\.1:(\\d+)").matcher(ready);
                assertTrue(r.matches(), "ready line: " + ready);
                int port = Integer.parseInt(r.group(1));
                int clientPort;
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    clientPort = s.getLocalPort();
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(new byte[77]);
                    s.shutdownOutput();
                    assertEquals(77, s.getInputStream().readAllBytes().length);
                }
                String line = out.readLine();
                Matcher m = LINE.matcher(line);
                assertTrue(m.matches(), "access log line: " + line);
                assertEquals("127.0.0.1:" + clientPort, m.group(3));
                assertEquals(echo.hostPort(), m.group(4));
                assertEquals("77", m.group(6));
                assertEquals("77", m.group(7));
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), metricsPort)) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
                    assertTrue(response.contains("\nlb4j_connections_total 1\n"), response);
                    assertTrue(response.contains("\nlb4j_backend_bytes_total{backend=\"" + echo.hostPort()
                            + "\",direction=\"to_client\"} 77\n"), response);
                }
                p.destroy(); // SIGTERM
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
                assertEquals(0, p.exitValue());
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
