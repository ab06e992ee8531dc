package io.lb4j.internal.cli;

import static io.lb4j.internal.cli.CliRun.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.ChildJvm;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code --admin} and {@code --admin-token-file} on the command line, and the runner's admin output. */
@ExtendWith(FaultOracle.class)
class AdminOptionsTest {
    private static final String TOKEN = "cli-test-token-5f3a9c";

    @TempDir
    Path dir;

    private Path tokenFile(String content) throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, content);
        return file;
    }

    @Test
    void shouldRefuseANonLoopbackAdminAddressWithoutATokenFile() {
        for (String address : new String[] {"0.0.0.0:9901", "[::]:9901", "192.0.2.1:9901", "no-such-host.invalid:1"}) {
            String line = refusal("--admin", address);
            assertTrue(line.startsWith("lb4j: --admin-token-file: required when --admin is not a loopback address"),
                    address + ": " + line);
        }
    }

    @Test
    void shouldRefuseBadAdminOptionsNamingThem() throws Exception {
        assertTrue(refusal("--admin", "127.0.0.1").startsWith("lb4j: --admin"));
        assertTrue(refusal("--admin", "127.0.0.1:70000").startsWith("lb4j: --admin"));
        assertTrue(refusal("--admin-token-file", tokenFile(TOKEN).toString())
                .startsWith("lb4j: --admin-token-file: given without --admin"));
        assertTrue(refusal("--admin", "127.0.0.1:0", "--admin-token-file", dir.resolve("missing").toString())
                .contains("--admin-token-file: " + dir.resolve("missing") + ": cannot read (no such file)"));
        assertTrue(refusal("--admin", "127.0.0.1:0", "--admin-token-file", tokenFile("\n" + TOKEN).toString())
                .contains("the first line is empty"));
        String spaced = refusal("--admin", "127.0.0.1:0", "--admin-token-file", tokenFile("two words\n").toString());
        assertTrue(spaced.contains("other than visible ASCII"), spaced);
        assertFalse(spaced.contains("two words"), "the token is never printed: " + spaced);
    }

    @Test
    void shouldAcceptLoopbackWithoutAndAnyAddressWithAToken() throws Exception {
        Options.parse(CliRun.with("--admin", "127.0.0.1:0")).toBuilder().build();
        Options.parse(CliRun.with("--admin", "[::1]:0")).toBuilder().build();
        Options.parse(CliRun.with("--admin", "localhost:0")).toBuilder().build();
        Options o = Options.parse(CliRun.with("--admin", "0.0.0.0:0", "--admin-token-file",
                tokenFile(TOKEN + "\r\nignored\n").toString()));
        assertEquals(TOKEN, o.adminToken(), "the first line, without its line end");
        assertTrue(Options.HELP.contains("  --admin HOST:PORT") && Options.HELP.contains("  --admin-token-file PATH"));
    }

    @Test
    void shouldExit1WithOneLineWhenTheAdminAddressIsInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), "--listen", "127.0.0.1:0", "--backend",
                    "127.0.0.1:9", "--probe", "none", "--admin", "127.0.0.1:" + taken.getLocalPort());
            assertEquals(1, status);
            assertEquals("", out.toString(StandardCharsets.UTF_8), "no ready line");
            String text = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, text.lines().count(), text);
            assertTrue(text.startsWith("lb4j: admin 127.0.0.1:" + taken.getLocalPort() + ": "), text);
        }
    }

    /** The real runner: where the API is, each change one line on standard error, the token nowhere. */
    @Test
    void shouldLogEachChangeOnOneLineAndNeverTheToken() throws Exception {
        Path token = tokenFile(TOKEN + "\n");
        try (EchoServer echo = EchoServer.start()) {
            Process p = ChildJvm.process("io.lb4j.internal.cli.Main", "--listen", "127.0.0.1:0", "--backend",
                    echo.hostPort(), "--probe", "none", "--threads", "1", "--access-log",
                    "--admin", "127.0.0.1:0", "--admin-token-file", token.toString()).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
                String ready = out.readLine();
                assertTrue(ready.startsWith("lb4j listening on 127.0.0.1:"), ready);
                String where = err.readLine();
                Matcher m = Pattern.compile("lb4j: INFO: admin API on 127\\.0\\.0\\.1:(\\d+) \\(bearer token required\\)")
                        .matcher(where);
                assertTrue(m.matches(), where);
                String base = "http://127.0.0.1:" + m.group(1);
                assertEquals(401, call("GET", base + "/backends", null, null));
                assertEquals(403, call("GET", base + "/backends", null, "Bearer " + TOKEN + "-not"));
                assertEquals(200, call("POST", base + "/backends/" + echo.hostPort() + "/weight", "{\"weight\":3}",
                        "Bearer " + TOKEN));
                String refusedLine = err.readLine();
                assertTrue(refusedLine.matches("lb4j: WARNING: admin: 1 request refused for a missing or wrong token "
                        + "since the last such line, the latest from 127\\.0\\.0\\.1:\\d+"), refusedLine);
                String change = err.readLine(); // the 403 fell within the same 10 s: no second line
                assertTrue(change.matches("lb4j: INFO: admin 127\\.0\\.0\\.1:\\d+: backend "
                        + Pattern.quote(echo.hostPort()) + " weight 3"), change);
                CompletableFuture<String> restOut = drain(out);
                CompletableFuture<String> restErr = drain(err);
                p.destroy(); // SIGTERM
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue());
                String all = ready + where + refusedLine + change + restOut.get(10, TimeUnit.SECONDS) + restErr.get(10, TimeUnit.SECONDS);
                assertFalse(all.contains(TOKEN), "the token appears in no output: " + all);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    private static int call(String method, String url, String body, String authorization) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        if (authorization != null) {
            c.setRequestProperty("Authorization", authorization);
        }
        if (body != null) {
            c.setDoOutput(true);
            c.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        }
        int status = c.getResponseCode();
        c.disconnect();
        return status;
    }

    private static CompletableFuture<String> drain(BufferedReader reader) {
        CompletableFuture<String> rest = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            StringBuilder sb = new StringBuilder();
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    sb.append(line).append('\n');
                }
            } catch (java.io.IOException e) {
                // the stream closes with the process
            }
            rest.complete(sb.toString());
        });
        t.setDaemon(true);
        t.start();
        return rest;
    }
}
