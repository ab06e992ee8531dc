package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.BalancerListener;
import io.lb4j.ConnectionEvent;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.export.HttpServer;
import io.lb4j.internal.export.Json;
import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API against a real balancer, through the JDK's HttpClient: every endpoint, every 4xx
 * path, the token, bounded requests, and changes that act on the pool and the connections.
 */
@ExtendWith(FaultOracle.class)
class AdminApiTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The real limits with a short head timeout, so the slow-request test does not wait 5 s. */
    private static final HttpServer.Limits FAST = new HttpServer.Limits(8192, 64 * 1024, 16, 300_000_000L,
            10_000_000_000L);

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String json) {
        return (Map<String, Object>) Json.parse(json);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(String json, String field) {
        return (List<Map<String, Object>>) object(json).get(field);
    }

    static Map<String, Object> backend(AdminFixture f, String name) {
        for (Map<String, Object> b : list(f.get("/backends").body(), "backends")) {
            if (b.get("backend").equals(name)) {
                return b;
            }
        }
        return null;
    }

    static int number(Object value) {
        return ((BigDecimal) value).intValueExact();
    }

    private static void assertError(int status, String naming, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        String error = (String) object(response.body()).get("error");
        assertNotNull(error, response.body());
        assertTrue(error.contains(naming), "the error names '" + naming + "': " + error);
    }

    /** Writes {@code n} bytes and reads the echo back. */
    static void roundTrip(Socket socket, int n) throws IOException {
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) i;
        }
        socket.getOutputStream().write(bytes);
        byte[] back = socket.getInputStream().readNBytes(n);
        org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, back, "echoed through the balancer");
    }

    private static Socket client(io.lb4j.Balancer lb) throws IOException {
        InetSocketAddress a = lb.addresses().get(0);
        Socket s = new Socket(a.getAddress(), a.getPort());
        s.setSoTimeout(20_000);
        return s;
    }

    @Test
    void shouldListBackendsWithHealthAdminStateActiveWeightAndSource() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            Path file = dir.resolve("backends.txt");
            Files.writeString(file, b.hostPort() + " weight=3 state=drain\n");
            try (AdminFixture f = AdminFixture.start(FAST, null, "--backend", a.hostPort(), "--backends-file",
                    file.toString(), "--probe", "none");
                 Socket c = client(f.lb)) {
                c.getOutputStream().write(1);
                assertEquals(1, c.getInputStream().read());
                HttpResponse<String> r = f.get("/backends");
                assertEquals(200, r.statusCode());
                assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
                List<Map<String, Object>> list = list(r.body(), "backends");
                assertEquals(2, list.size(), r.body());
                assertEquals(Map.of("backend", a.hostPort(), "health", "UP", "admin", "UP",
                        "active", BigDecimal.ONE, "weight", BigDecimal.ONE, "source", "cli"), list.get(0));
                assertEquals(Map.of("backend", b.hostPort(), "health", "UP", "admin", "DRAIN",
                        "active", BigDecimal.ZERO, "weight", BigDecimal.valueOf(3), "source", "file"), list.get(1));
                HttpResponse<String> one = f.get("/backends/" + b.hostPort());
                assertEquals(200, one.statusCode());
                assertEquals(list.get(1), object(one.body()));
                assertTrue(f.changes.isEmpty(), "reading changes nothing: " + f.changes);
            }
        }
    }

    @Test
    void shouldAddWeighStateAndRemoveABackendRoundTrip() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             AdminFixture f = AdminFixture.start(FAST, null, "--backend", a.hostPort(), "--probe", "none",
                     "--policy", "round-robin")) {
            HttpResponse<String> added = f.post("/backends", "{\"backend\":\"" + b.hostPort() + "\",\"weight\":2}");
            assertEquals(201, added.statusCode(), added.body());
            assertEquals(Map.of("backend", b.hostPort(), "health", "UP", "admin", "UP", "active", BigDecimal.ZERO,
                    "weight", BigDecimal.valueOf(2), "source", "admin"), object(added.body()));
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    Socket c = client(f.lb);
                    clients.add(c);
                    roundTrip(c, 8);
                }
                assertEquals(2, b.accepted(), "round robin over both: the added backend takes its share");
                HttpResponse<String> weighed = f.post("/backends/" + b.hostPort() + "/weight", "{\"weight\":5}");
                assertEquals(200, weighed.statusCode(), weighed.body());
                assertEquals(BigDecimal.valueOf(5), object(weighed.body()).get("weight"));
                HttpResponse<String> drained = f.post("/backends/" + b.hostPort() + "/state", "{\"state\":\"drain\"}");
                assertEquals(200, drained.statusCode(), drained.body());
                assertEquals("DRAIN", object(drained.body()).get("admin"));
                assertEquals(2, number(object(drained.body()).get("active")), "a plain drain leaves them open");
                for (int i = 0; i < 2; i++) {
                    Socket c = client(f.lb);
                    clients.add(c);
                    roundTrip(c, 8);
                }
                assertEquals(2, b.accepted(), "no new connection to a draining backend");
                HttpResponse<String> down = f.post("/backends/" + b.hostPort() + "/state", "{\"state\":\"DOWN\"}");
                assertEquals(200, down.statusCode(), down.body());
                assertEquals("DOWN", object(down.body()).get("admin"));
                Await.until("down closes its connections", () -> b.open() == 0, WAIT);
                HttpResponse<String> up = f.post("/backends/" + b.hostPort() + "/state", "{\"state\":\"up\"}");
                assertEquals("UP", object(up.body()).get("admin"));
                HttpResponse<String> removed = f.send("DELETE", "/backends/" + b.hostPort(), null);
                assertEquals(200, removed.statusCode(), removed.body());
                assertEquals(b.hostPort(), object(removed.body()).get("backend"));
                assertEquals(null, backend(f, b.hostPort()), "gone from the listing");
                assertError(404, b.hostPort(), f.send("DELETE", "/backends/" + b.hostPort(), null));
                Socket c = client(f.lb);
                clients.add(c);
                roundTrip(c, 8);
                assertEquals(2, b.accepted(), "none after its removal");
                assertEquals(List.of(
                        "added backend " + b.hostPort() + " (weight 2)",
                        "backend " + b.hostPort() + " weight 5",
                        "backend " + b.hostPort() + " state drain",
                        "backend " + b.hostPort() + " state down",
                        "backend " + b.hostPort() + " state up",
                        "removed backend " + b.hostPort() + " (its open connections keep running)"),
                        f.changes.stream().map(l -> l.substring(l.indexOf(": ") + 2)).toList(),
                        "one line per change: " + f.changes);
                for (String line : f.changes) {
                    assertTrue(line.startsWith("admin 127.0.0.1:"), "names the peer: " + line);
                }
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void shouldOverrideTheFileUntilTheFileChangesThatBackend() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start()) {
            Path file = dir.resolve("backends.txt");
            Files.writeString(file, a.hostPort() + "\n" + b.hostPort() + "\n");
            try (AdminFixture f = AdminFixture.start(FAST, null, "--backends-file", file.toString(),
                    "--probe", "none")) {
                assertEquals(200, f.post("/backends/" + a.hostPort() + "/weight", "{\"weight\":7}").statusCode());
                assertEquals("admin", backend(f, a.hostPort()).get("source"));
                assertEquals(200, f.send("DELETE", "/backends/" + b.hostPort(), null).statusCode());
                // a change to another line leaves both overrides alone
                Files.writeString(file, a.hostPort() + "\n" + b.hostPort() + "\n127.0.0.1:1\n");
                Await.until("the new line applies", () -> backend(f, "127.0.0.1:1") != null, WAIT);
                assertEquals("admin", backend(f, a.hostPort()).get("source"));
                assertEquals(7, number(backend(f, a.hostPort()).get("weight")));
                assertEquals(null, backend(f, b.hostPort()));
                // the file's change to a's line ends a's override; b's stays removed
                Files.writeString(file, a.hostPort() + " weight=2\n" + b.hostPort() + "\n127.0.0.1:1\n");
                Await.until("the file's weight applies", () -> {
                    Map<String, Object> entry = backend(f, a.hostPort());
                    return entry != null && number(entry.get("weight")) == 2;
                }, WAIT);
                assertEquals("file", backend(f, a.hostPort()).get("source"));
                assertEquals(null, backend(f, b.hostPort()), "still removed: the file did not change b");
                Files.writeString(file, a.hostPort() + " weight=2\n" + b.hostPort() + " weight=4\n127.0.0.1:1\n");
                Await.until("b back from the file", () -> backend(f, b.hostPort()) != null, WAIT);
                assertEquals("file", backend(f, b.hostPort()).get("source"));
            }
        }
    }

    @Test
    void shouldDrainThroughTheApiSpreadOverTheDeadlineAndLeaveNoConnection() throws Exception {
        int n = 30;
        Queue<Long> closes = new ConcurrentLinkedQueue<>();
        BalancerListener listener = new BalancerListener() {
            @Override
            public void connectionClosed(ConnectionEvent event) {
                if ("backend drained".equals(event.reason())) {
                    closes.add(System.nanoTime());
                }
            }
        };
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             AdminFixture f = AdminFixture.start(FAST, listener, "--backend", a.hostPort(), "--probe", "none",
                     "--threads", "2")) {
            List<SocketChannel> clients = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    clients.add(SocketChannel.open(f.lb.addresses().get(0)));
                }
                Await.until("all relayed", () -> f.lb.connections().size() == n, WAIT);
                assertEquals(201, f.post("/backends", "{\"backend\":\"" + b.hostPort() + "\"}").statusCode());
                long startNs = System.nanoTime();
                HttpResponse<String> r = f.post("/backends/" + a.hostPort() + "/state",
                        "{\"state\":\"drain\",\"deadline\":\"2s\"}");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("DRAIN", object(r.body()).get("admin"));
                Await.until("every connection of the drained backend closed", () -> a.open() == 0, WAIT);
                long last = closes.stream().mapToLong(Long::longValue).max().orElseThrow();
                long first = closes.stream().mapToLong(Long::longValue).min().orElseThrow();
                assertEquals(n, closes.size());
                // startNs is before the request: the 2 s run from when the engine applies it (plus the
                // 10 ms wheel tick), so allow the request's own time on a loaded machine
                assertTrue(last - startNs <= Duration.ofMillis(2_600).toNanos(),
                        "none left after the deadline: " + (last - startNs) / 1_000_000 + " ms");
                assertTrue(last - first >= Duration.ofMillis(1_000).toNanos(),
                        "spread, not at once: " + (last - first) / 1_000_000 + " ms");
                assertEquals(0, number(backend(f, a.hostPort()).get("active")));
                assertEquals(List.of(), list(f.get("/connections?backend=" + a.hostPort()).body(), "connections"));
                try (Socket late = client(f.lb)) {
                    roundTrip(late, 4);
                    assertEquals(1, b.accepted(), "new clients go to the other backend");
                }
                assertTrue(f.changes.get(1).endsWith("backend " + a.hostPort()
                        + " state drain, its connections closed over 2s"), f.changes.toString());
            } finally {
                for (SocketChannel c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void shouldListConnectionsFilterAndLimitThemAndCloseOneById() throws Exception {
        Queue<String> reasons = new ConcurrentLinkedQueue<>();
        BalancerListener listener = new BalancerListener() {
            @Override
            public void connectionClosed(ConnectionEvent event) {
                reasons.add(event.reason());
            }
        };
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             AdminFixture f = AdminFixture.start(FAST, listener, "--backend", a.hostPort(), "--backend",
                     b.hostPort(), "--probe", "none", "--policy", "round-robin", "--threads", "2")) {
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    Socket c = client(f.lb);
                    clients.add(c);
                    roundTrip(c, 10 + i);
                }
                List<Map<String, Object>> all = list(f.get("/connections").body(), "connections");
                assertEquals(6, all.size());
                Map<String, Object> oldest = all.get(0);
                assertEquals(format(clients.get(0)), oldest.get("client"), "oldest first");
                assertEquals(BigDecimal.TEN, oldest.get("bytes_to_backend"));
                assertEquals(BigDecimal.TEN, oldest.get("bytes_to_client"));
                assertTrue(oldest.get("id") instanceof String);
                assertTrue(number(oldest.get("age_ms")) >= 0 && number(oldest.get("idle_ms")) >= 0);
                assertEquals(3, list(f.get("/connections?backend=" + b.hostPort()).body(), "connections").size());
                List<Map<String, Object>> two = list(f.get("/connections?limit=2").body(), "connections");
                assertEquals(List.of(all.get(0).get("id"), all.get(1).get("id")),
                        two.stream().map(c -> c.get("id")).toList(), "the limit keeps the oldest");
                String id = (String) oldest.get("id");
                HttpResponse<String> closed = f.post("/connections/" + id + "/close", "{\"reason\":\"maintenance\"}");
                assertEquals(200, closed.statusCode(), closed.body());
                assertEquals(Map.of("id", id, "closed", true), object(closed.body()));
                assertEquals(-1, clients.get(0).getInputStream().read(), "the client sees the close");
                Await.until("close reported", () -> reasons.contains("closed by admin: maintenance"), WAIT);
                assertError(404, id, f.post("/connections/" + id + "/close", "{\"reason\":\"again\"}"));
                assertEquals(5, list(f.get("/connections").body(), "connections").size());
                roundTrip(clients.get(1), 3);
                assertTrue(f.changes.get(0).endsWith("closed connection " + id + " (maintenance)"), f.changes.toString());
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
            }
        }
    }

    private static String format(Socket client) {
        return io.lb4j.internal.AddressText.format((InetSocketAddress) client.getLocalSocketAddress());
    }

    @Test
    void shouldRebalanceNowAndExplain() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             AdminFixture f = AdminFixture.start(FAST, null, "--backend", a.hostPort(), "--probe", "none",
                     "--policy", "least-connections", "--rebalance", "interval=1h,spread=0.2,rate=1")) {
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    Socket c = client(f.lb);
                    clients.add(c);
                    roundTrip(c, 4);
                }
                assertEquals(201, f.post("/backends", "{\"backend\":\"" + b.hostPort() + "\"}").statusCode());
                HttpResponse<String> r = f.post("/rebalance", "");
                assertEquals(200, r.statusCode(), r.body());
                // 10 on a, 0 on b: keep mean 5 x 1.1 = 5 on a, move 5 (within a minute's budget of 100%)
                assertEquals(Map.of("moving", BigDecimal.valueOf(5)), object(r.body()));
                Await.until("the moved ones closed", () -> a.open() == 5, WAIT);
                for (int i = 0; i < 5; i++) { // their clients reconnect: least-connections sends them to b
                    Socket c = client(f.lb);
                    clients.add(c);
                    roundTrip(c, 4);
                }
                assertEquals(5, b.accepted());
                assertEquals(Map.of("moving", BigDecimal.ZERO), object(f.post("/rebalance", "{}").body()),
                        "balanced: nothing more to move");
                HttpResponse<String> e = f.get("/explain?client=10.1.2.3:4000");
                assertEquals(200, e.statusCode(), e.body());
                assertEquals("10.1.2.3:4000", object(e.body()).get("client"));
                assertEquals("least-connections", object(e.body()).get("policy"));
                assertTrue(f.changes.get(1).endsWith("rebalance: moving 5 connections"), f.changes.toString());
            } finally {
                for (Socket c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void shouldAddressAnIpv6BackendInPathsWithEncodedOrRawBrackets() throws Exception {
        try (EchoServer v6 = EchoServer.start(new InetSocketAddress("::1", 0));
             AdminFixture f = AdminFixture.start(FAST, null, "--backend", "[::1]:" + v6.port(), "--probe", "none")) {
            String name = "[::1]:" + v6.port();
            HttpResponse<String> r = f.post("/backends/%5B::1%5D:" + v6.port() + "/weight", "{\"weight\":9}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(name, object(r.body()).get("backend"));
            assertEquals(BigDecimal.valueOf(9), object(r.body()).get("weight"));
            assertEquals(200, f.get("/backends/%5b0:0:0:0:0:0:0:1%5d:" + v6.port()).statusCode(),
                    "the same address written out in full, lower-case escapes");
            String raw = f.raw("GET /backends/[::1]:" + v6.port() + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(raw.startsWith("HTTP/1.1 200 "), raw);
            assertTrue(raw.contains("\"backend\":\"" + name + "\""), raw);
            assertEquals(201, f.post("/backends", "{\"backend\":\"[::1]:1\"}").statusCode());
            assertEquals(200, f.send("DELETE", "/backends/%5B%3A%3A1%5D%3A1", null).statusCode(), "colons encoded too");
        }
    }

    @Test
    void shouldAnswerEveryBadRequestWithA4xxNamingTheProblemAndChangeNothing() throws Exception {
        try (EchoServer a = EchoServer.start();
             AdminFixture f = AdminFixture.start(FAST, null, "--backend", a.hostPort(), "--probe", "none")) {
            String before = f.get("/backends").body();
            String s = "/backends/" + a.hostPort() + "/state";
            String w = "/backends/" + a.hostPort() + "/weight";
            // 400: bodies and values
            assertError(400, "body: not JSON", f.post(s, "{\"state\":"));
            assertError(400, "body: not JSON", f.post(s, "{\"state\":\"up\",}"));
            assertError(400, "given twice", f.post(s, "{\"state\":\"up\",\"state\":\"down\"}"));
            assertError(400, "expected: a JSON object", f.post(s, "[\"up\"]"));
            assertError(400, "state: missing", f.post(s, "{}"));
            assertError(400, "state: \"off\"", f.post(s, "{\"state\":\"off\"}"));
            assertError(400, "state: 1", f.post(s, "{\"state\":1}"));
            assertError(400, "colour: unknown field", f.post(s, "{\"state\":\"up\",\"colour\":\"red\"}"));
            assertError(400, "deadline: given with state up", f.post(s, "{\"state\":\"up\",\"deadline\":\"1m\"}"));
            assertError(400, "deadline: '1.5m'", f.post(s, "{\"state\":\"drain\",\"deadline\":\"1.5m\"}"));
            assertError(400, "deadline: \"0\"", f.post(s, "{\"state\":\"drain\",\"deadline\":\"0\"}"));
            assertError(400, "deadline: 60", f.post(s, "{\"state\":\"drain\",\"deadline\":60}"));
            assertError(400, "weight: missing", f.post(w, "{}"));
            assertError(400, "weight: 0 (expected: an integer 1-1000)", f.post(w, "{\"weight\":0}"));
            assertError(400, "weight: 1001", f.post(w, "{\"weight\":1001}"));
            assertError(400, "weight: 1.5", f.post(w, "{\"weight\":1.5}"));
            assertError(400, "weight: \"2\"", f.post(w, "{\"weight\":\"2\"}"));
            assertError(400, "weight: 99999999999", f.post(w, "{\"weight\":99999999999}"));
            assertError(400, "backend: missing", f.post("/backends", "{\"weight\":1}"));
            assertError(400, "backend: 'nohost'", f.post("/backends", "{\"backend\":\"nohost\"}"));
            assertError(400, "backend port: 70000", f.post("/backends", "{\"backend\":\"127.0.0.1:70000\"}"));
            assertError(400, a.hostPort() + " is a member already", f.post("/backends", "{\"backend\":\"" + a.hostPort() + "\"}"));
            assertError(400, "reason: missing", f.post("/connections/1/close", "{}"));
            assertError(400, "reason: over 256", f.post("/connections/1/close", "{\"reason\":\"a\\nb\"}"));
            assertError(400, "limit: '0'", f.get("/connections?limit=0"));
            assertError(400, "limit: '10001'", f.get("/connections?limit=10001"));
            assertError(400, "query parameter 'backnd'", f.get("/connections?backnd=x"));
            assertError(400, "client: missing", f.get("/explain"));
            assertError(400, "client", f.get("/explain?client=example.com:80"));
            assertError(400, "unknown field", f.post("/rebalance", "{\"now\":true}"));
            String badEscape = f.raw("GET /backends/%5G HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(badEscape.startsWith("HTTP/1.1 400 ") && badEscape.contains("bad percent-encoding"), badEscape);
            String chunked = f.raw("POST " + w + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "c\r\n{\"weight\":2}\r\n0\r\n\r\n");
            assertTrue(chunked.startsWith("HTTP/1.1 400 ") && chunked.contains("chunked"), chunked);
            String badLength = f.raw("POST " + w + " HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
            assertTrue(badLength.startsWith("HTTP/1.1 400 ") && badLength.contains("Content-Length"), badLength);
            String badLine = f.raw("GARBAGE\r\n\r\n");
            assertTrue(badLine.startsWith("HTTP/1.1 400 ") && badLine.contains("{\"error\":"), badLine);
            // 404: paths, backends, connections
            assertError(404, "path: '/nothing'", f.get("/nothing"));
            assertError(404, "path", f.get("/backends/" + a.hostPort() + "/health"));
            assertError(404, "path", f.get("/backends/"));
            assertError(404, "backend 127.0.0.1:1: not a member", f.post("/backends/127.0.0.1:1/state", "{\"state\":\"up\"}"));
            assertError(404, "backend 127.0.0.1:1: not a member", f.post("/backends/127.0.0.1:1/weight", "{\"weight\":2}"));
            assertError(404, "backend 127.0.0.1:1: not a member", f.send("DELETE", "/backends/127.0.0.1:1", null));
            assertError(404, "backend 127.0.0.1:1: not a member", f.get("/connections?backend=127.0.0.1:1"));
            assertError(404, "backend 'garbage'", f.get("/backends/garbage"));
            assertError(404, "connection '999999': not open", f.post("/connections/999999/close", "{\"reason\":\"x\"}"));
            assertError(404, "connection 'abc': not open", f.post("/connections/abc/close", "{\"reason\":\"x\"}"));
            // 405, with the methods that are allowed
            HttpResponse<String> wrong = f.get("/rebalance");
            assertError(405, "method GET (expected: POST)", wrong);
            assertEquals("POST", wrong.headers().firstValue("Allow").orElseThrow());
            assertError(405, "method PUT (expected: GET, POST)", f.send("PUT", "/backends", "{}"));
            assertError(405, "method DELETE (expected: GET)", f.send("DELETE", "/connections", null));
            assertError(405, "method GET (expected: POST)", f.get(s));
            // 413 before the body is read; the answer still arrives whole
            String big = "{\"state\":\"" + "x".repeat(70_000) + "\"}";
            assertError(413, "body: " + big.length() + " bytes (expected: at most 65536)", f.post(s, big));
            String justFits = "{\"weight\":2" + " ".repeat(64 * 1024 - 12) + "}";
            assertEquals(64 * 1024, justFits.length());
            assertEquals(200, f.post("/backends/" + a.hostPort() + "/weight", justFits).statusCode(), "64 KiB is allowed");
            assertEquals(200, f.post(w, "{\"weight\":1}").statusCode());
            assertEquals(before, f.get("/backends").body(), "the errors changed nothing");
            assertEquals(2, f.changes.size(), "only the two good requests changed something: " + f.changes);
        }
    }

    @Test
    void shouldDemandTheTokenInConstantTimeAnd401Or403WithoutLookingFurther(@TempDir Path tokenDir) throws Exception {
        try (EchoServer a = EchoServer.start();
             AdminFixture f = AdminFixture.startWithToken(tokenDir, FAST, "--backend", a.hostPort(), "--probe", "none",
                     "--metrics", "127.0.0.1:0")) {
            String s = "/backends/" + a.hostPort() + "/state";
            HttpResponse<String> missing = f.send("GET", "/backends", null, null);
            assertError(401, "token missing", missing);
            assertEquals("Bearer realm=\"lb4j-admin\"", missing.headers().firstValue("WWW-Authenticate").orElseThrow());
            assertError(401, "token missing", f.send("GET", "/backends", null, "Basic " + AdminFixture.TOKEN));
            assertError(401, "token missing", f.send("GET", "/nothing", null, null));
            assertError(401, "token missing", f.send("POST", s, "{\"state\":\"down\"}", "Bearer"));
            assertError(403, "token wrong", f.send("POST", s, "{\"state\":\"down\"}", "Bearer wrong"));
            assertError(403, "token wrong", f.send("POST", s, "{\"state\":\"down\"}", "Bearer " + AdminFixture.TOKEN + "x"));
            assertError(403, "token wrong", f.send("POST", s, "{\"state\":\"down\"}",
                    "Bearer " + AdminFixture.TOKEN.substring(1)));
            assertError(403, "token wrong", f.send("GET", "/nothing", null, "Bearer nope"));
            assertError(403, "token wrong", f.send("POST", s, "x".repeat(100_000), "Bearer nope"));
            assertEquals("UP", backend(f, a.hostPort()).get("admin"), "refused requests changed nothing");
            assertTrue(f.changes.isEmpty());
            assertEquals(200, f.send("POST", s, "{\"state\":\"drain\"}", "bearer   " + AdminFixture.TOKEN).statusCode(),
                    "the scheme is case-insensitive");
            assertEquals(200, f.get("/backends").statusCode());
            for (String line : f.changes) {
                assertFalse(line.contains(AdminFixture.TOKEN), line);
            }
            // every answer counted by class
            String metrics = new String(new java.net.URL("http://127.0.0.1:" + f.lb.metricsAddress().getPort()
                    + "/metrics").openStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(metrics.contains("lb4j_admin_requests_total{status=\"2xx\"} 3\n"), metrics);
            assertTrue(metrics.contains("lb4j_admin_requests_total{status=\"4xx\"} 9\n"), metrics);
            assertTrue(metrics.contains("lb4j_admin_requests_total{status=\"5xx\"} 0\n"), metrics);
            assertTrue(metrics.contains("lb4j_admin_changes_total 1\n"), metrics);
        }
    }

    @Test
    void shouldCloseARequestWhoseHeadIsSlowerThanTheHeadTimeout() throws Exception {
        try (EchoServer a = EchoServer.start();
             AdminFixture f = AdminFixture.start(FAST, null, "--backend", a.hostPort(), "--probe", "none");
             Socket slow = new Socket("127.0.0.1", f.admin.address().getPort())) {
            slow.setSoTimeout(10_000);
            long startNs = System.nanoTime();
            slow.getOutputStream().write("GET /backends HTTP/1.1\r\nHost: x\r\n".getBytes());
            assertEquals(-1, slow.getInputStream().read(), "closed without an answer");
            long tookMs = (System.nanoTime() - startNs) / 1_000_000;
            assertTrue(tookMs >= 250 && tookMs < 3_000, "closed at the head timeout (300 ms): " + tookMs + " ms");
            assertEquals(200, f.get("/backends").statusCode(), "the next request is served");
        }
    }

    @Test
    void shouldCloseASilentAdminConnectionAfterTheRealFiveSeconds() throws Exception {
        try (EchoServer a = EchoServer.start();
             AdminFixture f = AdminFixture.start(AdminApi.LIMITS, null, "--backend", a.hostPort(), "--probe", "none");
             Socket slow = new Socket("127.0.0.1", f.admin.address().getPort())) {
            slow.setSoTimeout(20_000);
            long startNs = System.nanoTime();
            slow.getOutputStream().write("G".getBytes());
            assertEquals(-1, slow.getInputStream().read(), "closed without an answer");
            long tookMs = (System.nanoTime() - startNs) / 1_000_000;
            assertTrue(tookMs >= 4_900 && tookMs < 8_000, "closed at 5 s: " + tookMs + " ms");
        }
    }

    @Test
    void shouldRefuseAdminConnectionsBeyondTheCapWhileRelayingGoesOn() throws Exception {
        try (EchoServer a = EchoServer.start();
             AdminFixture f = AdminFixture.start(AdminApi.LIMITS, null, "--backend", a.hostPort(), "--probe", "none",
                     "--threads", "1")) {
            List<Socket> flood = new ArrayList<>();
            try (Socket relayed = client(f.lb)) {
                roundTrip(relayed, 100);
                for (int i = 0; i < 300; i++) {
                    Socket s = new Socket("127.0.0.1", f.admin.address().getPort());
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write("GET /backends HTTP/1.1\r\n".getBytes()); // and never the rest
                    flood.add(s);
                    if (i % 50 == 0) {
                        roundTrip(relayed, 1000); // the loop they share still relays
                    }
                }
                // the server holds at most 16 of them; the others are closed at accept, at once
                int closedAtOnce = 0;
                for (Socket s : flood) {
                    s.setSoTimeout(100);
                    try {
                        if (s.getInputStream().read() == -1) {
                            closedAtOnce++;
                        }
                    } catch (java.net.SocketTimeoutException held) {
                        // one of the held ones
                    } catch (IOException reset) {
                        closedAtOnce++;
                    }
                }
                assertTrue(closedAtOnce >= 300 - 16, "at most 16 held: " + closedAtOnce + " closed at once");
                roundTrip(relayed, 64 * 1024);
                try (Socket second = client(f.lb)) {
                    roundTrip(second, 10);
                }
                org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class,
                        () -> f.get("/backends"), "the API is full while the flood holds its 16 places");
                for (Socket s : flood) {
                    s.close(); // the held ones free their slots as their clients leave
                }
                Await.until("the API answers after the flood", () -> {
                    try {
                        return f.get("/backends").statusCode() == 200;
                    } catch (java.io.UncheckedIOException e) {
                        return false;
                    }
                }, WAIT);
                assertEquals(1, number(backend(f, a.hostPort()).get("active")), "the relayed pair");
            } finally {
                for (Socket s : flood) {
                    s.close();
                }
            }
        }
    }

    @Test
    void shouldAnswerAnExpect100ContinueClient() throws Exception {
        try (EchoServer a = EchoServer.start();
             AdminFixture f = AdminFixture.start(FAST, null, "--backend", a.hostPort(), "--probe", "none");
             Socket s = new Socket("127.0.0.1", f.admin.address().getPort())) {
            s.setSoTimeout(10_000);
            String body = "{\"weight\":4}";
            s.getOutputStream().write(("POST /backends/" + a.hostPort() + "/weight HTTP/1.1\r\nHost: x\r\n"
                    + "Expect: 100-continue\r\nContent-Length: " + body.length() + "\r\n\r\n").getBytes());
            InputStream in = s.getInputStream();
            byte[] interim = in.readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length());
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", new String(interim));
            s.getOutputStream().write(body.getBytes());
            String answer = new String(in.readAllBytes());
            assertTrue(answer.startsWith("HTTP/1.1 200 ") && answer.contains("\"weight\":4"), answer);
        }
    }
}
