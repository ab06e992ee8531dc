package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.ChildJvm;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class MainTest {

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void exits2Naming(String option, String... args) {
        Outcome o = run(args);
        assertEquals(2, o.status, "exit status for " + String.join(" ", args));
        assertEquals("", o.out, "nothing on standard output");
        String[] lines = o.err.split("\n");
        assertEquals(1, lines.length, "exactly one line on standard error: " + o.err);
        assertTrue(lines[0].contains(option), "the line names " + option + ": " + lines[0]);
    }

    private static final String[] OK = {"--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"};

    private static String[] with(String... more) {
        List<String> all = new ArrayList<>(List.of(OK));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    @Test
    void shouldExit2WithOneLineNamingEachBadOption() {
        exits2Naming("--listen", "--backend", "127.0.0.1:9");
        exits2Naming("--backend", "--listen", "127.0.0.1:0");
        exits2Naming("--listen", with("--listen", "localhost"));
        exits2Naming("--listen", with("--listen", "127.0.0.1:70000"));
        exits2Naming("--backend", with("--backend", "127.0.0.1"));
        exits2Naming("--backend", with("--backend", "127.0.0.1:9,weight=0"));
        exits2Naming("--backend", with("--backend", "127.0.0.1:9,weight=1001"));
        exits2Naming("--backend", with("--backend", "127.0.0.1:9,color=red"));
        exits2Naming("--policy", with("--policy", "random"));
        exits2Naming("--probe", with("--probe", "udp"));
        for (String d : new String[] {"--probe-interval", "--probe-timeout", "--connect-timeout"}) {
            exits2Naming(d, with(d, "1.5s"));
            exits2Naming(d, with(d, "0"));
            exits2Naming(d, with(d, "5"));
        }
        for (String d : new String[] {"--idle-timeout", "--drain-timeout"}) {
            exits2Naming(d, with(d, "-1s"));
            exits2Naming(d, with(d, "1m30s"));
        }
        for (String n : new String[] {"--unhealthy-threshold", "--healthy-threshold", "--connect-attempts", "--threads"}) {
            exits2Naming(n, with(n, "0"));
            exits2Naming(n, with(n, "x"));
        }
        exits2Naming("--probe-port", with("--probe-port", "0"));
        exits2Naming("--threads", with("--threads"));
        exits2Naming("--nonsense", with("--nonsense", "1"));
        exits2Naming("stray", with("stray"));
        exits2Naming("--tcp-reset-on-idle", with("--tcp-reset-on-idle=yes"));
    }

    @Test
    void shouldKeepTheRefusalOnOneLineAndTakeOnlyAsciiIntegersAndBoundedDurations() {
        exits2Naming("--listen", with("--listen", "127.0.0.1:1\nx"));
        exits2Naming("--backend", with("--backend", "127.0.0.1:9\r\n,weight=2"));
        exits2Naming("--threads", with("--threads", "\u0662")); // Arabic-Indic two: Long.parseLong takes it
        exits2Naming("--connect-attempts", with("--connect-attempts", "+2"));
        exits2Naming("--idle-timeout", with("--idle-timeout", "\u0665s"));
        for (String d : new String[] {"--idle-timeout", "--drain-timeout", "--probe-interval", "--probe-timeout",
                "--connect-timeout"}) {
            // past 2562047h a Duration no longer fits in long nanoseconds: exit 2, not a stack trace
            exits2Naming(d, with(d, "999999999999h"));
            Options.parse(with(d, "100000h")).toBuilder().build();
        }
        assertEquals("lb4j: a\\nb\\r\\u0007c", Main.oneLine("a\nb\r\u0007c"));
    }

    @Test
    void shouldPrintHelpAndVersionAndExit0() {
        Outcome help = run("--help");
        assertEquals(0, help.status);
        assertTrue(help.out.contains("--listen HOST:PORT") && help.out.contains("--drain-timeout"));
        assertEquals("", help.err);
        Outcome version = run("--version");
        assertEquals(0, version.status);
        assertTrue(version.out.startsWith("lb4j "));
    }

    @Test
    void shouldExit1WithOneLineWhenTheListenAddressIsInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Outcome o = run("--listen", "127.0.0.1:" + taken.getLocalPort(), "--backend", "127.0.0.1:9", "--probe", "none");
            assertEquals(1, o.status);
            assertEquals("", o.out);
            assertEquals(1, o.err.split("\n").length, o.err);
            assertTrue(o.err.contains("127.0.0.1:" + taken.getLocalPort()), o.err);
        }
    }

    @Test
    void shouldExit1WithOneLineWhenABackendHostCannotBeResolved() {
        Outcome o = run("--listen", "127.0.0.1:0", "--backend", "no-such-host.invalid:80", "--probe", "none");
        assertEquals(1, o.status);
        assertEquals("", o.out);
        assertEquals(1, o.err.split("\n").length, o.err);
        assertTrue(o.err.contains("no-such-host.invalid:80") && o.err.contains("unknown host"), o.err);
    }

    @Test
    void shouldPrintReadyLineRelayAndDrainOnSigterm() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            Process p = ChildJvm.process("io.lb4j.internal.cli.Main", "--listen", "127.0.0.1:0", "--listen", "[::1]:0",
                    "--backend", echo.hostPort(), "--threads", "1", "--drain-timeout", "5s")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String ready = out.readLine();
                Matcher m = Pattern.compile("lb4j listening on 127\\.0\\.0\\.1:(\\d+) \\[::1\\]:(\\d+)").matcher(ready);
                assertTrue(m.matches(), "ready line: " + ready);
                for (String host : new String[] {"127.0.0.1", "::1"}) {
                    int port = Integer.parseInt(m.group(host.equals("::1") ? 2 : 1));
                    try (Socket s = new Socket(host, port)) {
                        s.setSoTimeout(10_000);
                        s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), s.getInputStream().readNBytes(5));
                    }
                }
                java.util.concurrent.CompletableFuture<String> rest = new java.util.concurrent.CompletableFuture<>();
                Thread reader = new Thread(() -> {
                    StringBuilder sb = new StringBuilder();
                    try {
                        for (String line; (line = out.readLine()) != null; ) {
                            sb.append(line).append('\n');
                        }
                    } catch (java.io.IOException e) {
                        // the stream closes with the process
                    }
                    rest.complete(sb.toString());
                });
                reader.start();
                p.destroy(); // SIGTERM
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
                assertEquals(0, p.exitValue(), "a drain ends with status 0");
                assertEquals("", rest.get(10, TimeUnit.SECONDS), "nothing but the ready line on standard output");
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
