package io.lb4j.internal.cli;

import static io.lb4j.internal.cli.CliProcessTest.echoes;
import static io.lb4j.internal.cli.CliProcessTest.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lb4j.internal.cli.CliProcessTest.Child;
import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The jar's hand-over: {@code --reuse-port} and SIGUSR2, with the runner in child JVMs. */
@ExtendWith(FaultOracle.class)
class HandOverCliTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static String[] args(int port, String backend, String... more) {
        List<String> all = new java.util.ArrayList<>(List.of("--listen", "127.0.0.1:" + port, "--backend", backend,
                "--probe", "none", "--threads", "1", "--reuse-port"));
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }

    @Test
    void shouldHandOverOnSigusr2AndExitOnceTheOpenConnectionsAreDrained() throws Exception {
        int port = freePort();
        String metrics = "127.0.0.1:" + freePort(); // shared too: the successor binds it while the old one runs
        try (EchoServer echo = EchoServer.start();
             Child old = new Child(List.of(), args(port, echo.hostPort(), "--drain-timeout", "3s",
                     "--metrics", metrics))) {
            assertEquals(port, old.ready());
            Await.until("the tcp_migrate_req line", () -> old.errSoFar().contains("tcp_migrate_req"), WAIT);
            assertEquals(1, old.errSoFar().lines().filter(l -> l.contains("tcp_migrate_req")).count(),
                    old.errSoFar());
            try (Socket held = new Socket("127.0.0.1", port);
                 Child successor = new Child(List.of(), args(port, echo.hostPort(), "--metrics", metrics))) {
                held.setSoTimeout(20_000);
                echoes(held, 1);
                assertEquals(port, successor.ready(), "the successor binds the same port while the old one runs");
                old.signal("USR2");
                Await.until("the hand-over line", () -> old.errSoFar().contains("handed over 127.0.0.1:" + port),
                        WAIT);
                echoes(held, 2); // the old process's connection goes on during its drain
                for (int i = 0; i < 50; i++) {
                    try (Socket fresh = new Socket("127.0.0.1", port)) {
                        fresh.setSoTimeout(10_000);
                        echoes(fresh, i); // the successor takes every new client
                    }
                }
                try {
                    assertEquals(-1, held.getInputStream().read(), "closed at the end of the drain timeout");
                } catch (SocketException reset) {
                    // closed by reset: closed all the same
                }
                assertEquals(0, old.exit(WAIT), "a hand-over ends with exit 0: " + old.errSoFar());
                assertTrue(!old.errSoFar().contains("WARNING"), "no fault logged: " + old.errSoFar());
                assertEquals(null, old.nextLine(), "nothing but the ready line on standard output");
                try (Socket after = new Socket("127.0.0.1", port)) {
                    after.setSoTimeout(10_000);
                    echoes(after, 9);
                }
                int metricsPort = Integer.parseInt(metrics.substring(metrics.indexOf(':') + 1));
                assertTrue(CliProcessTest.get(metricsPort, "/metrics").contains("lb4j_connections_total"),
                        "the successor serves the shared metrics address");
                successor.signal("TERM");
                assertEquals(0, successor.exit(WAIT), successor.errSoFar());
            }
        }
    }

    @Test
    void shouldIgnoreSigusr2WithOneLineWithoutReusePortOrWithoutASuccessor() throws Exception {
        int port = freePort();
        try (EchoServer echo = EchoServer.start();
             Child plain = new Child(List.of(), "--listen", "127.0.0.1:0", "--backend", echo.hostPort(),
                     "--probe", "none", "--threads", "1");
             Child alone = new Child(List.of(), args(port, echo.hostPort()))) {
            int plainPort = plain.ready();
            assertEquals(port, alone.ready());
            plain.signal("USR2");
            alone.signal("USR2");
            Await.until("the line on SIGUSR2 without --reuse-port",
                    () -> plain.errSoFar().contains("SIGUSR2 ignored"), WAIT);
            assertEquals("lb4j: SIGUSR2 ignored: a hand-over needs --reuse-port (this process keeps running)\n",
                    plain.errSoFar());
            Await.until("the line on SIGUSR2 without a successor",
                    () -> alone.errSoFar().contains("SIGUSR2 ignored"), WAIT);
            assertTrue(alone.errSoFar().contains("lb4j: SIGUSR2 ignored: handOver: no successor listens on 127.0.0.1:"
                    + port), alone.errSoFar());
            for (int p : new int[] {plainPort, port}) {
                try (Socket s = new Socket("127.0.0.1", p)) {
                    s.setSoTimeout(10_000);
                    echoes(s, 5); // both still serve
                }
            }
            plain.signal("TERM");
            alone.signal("TERM");
            assertEquals(0, plain.exit(WAIT));
            assertEquals(0, alone.exit(WAIT));
        }
    }

    @Test
    void shouldRestartWithoutRefusingThroughTheExampleScriptOnSighup() throws Exception {
        Path script = Path.of("..", "examples", "restart.sh");
        assumeTrue(Files.isRegularFile(script) && new File("/bin/bash").canExecute(), "bash and examples/restart.sh");
        int port = freePort();
        // default dispositions for the script: bash cannot trap a signal ignored when it started (a build
        // run under nohup ignores SIGHUP), and the restart would then never happen
        Process probe = new ProcessBuilder("env", "--default-signal=HUP,INT,TERM", "true").start();
        assumeTrue(probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0, "env --default-signal");
        List<String> prefix = List.of("env", "--default-signal=HUP,INT,TERM", "/bin/bash", script.toString(), "run",
                "--ready-timeout", "30", "--");
        try (EchoServer echo = EchoServer.start();
             Child supervisor = new Child(prefix, args(port, echo.hostPort(), "--drain-timeout", "2s"))) {
            try {
                assertEquals(port, supervisor.ready());
                try (Socket held = new Socket("127.0.0.1", port)) {
                    held.setSoTimeout(20_000);
                    echoes(held, 1);
                    supervisor.signal("HUP");
                    assertEquals(port, supervisor.ready(), "the new process's ready line, passed through");
                    Await.until("the old process drained and exited",
                            () -> supervisor.errSoFar().contains("has drained and exited"), WAIT);
                    try {
                        assertEquals(-1, held.getInputStream().read(), "closed by the old process's drain");
                    } catch (SocketException reset) {
                        // closed by reset: closed all the same
                    }
                }
                try (Socket fresh = new Socket("127.0.0.1", port)) {
                    fresh.setSoTimeout(10_000);
                    echoes(fresh, 2);
                }
                supervisor.signal("TERM");
                assertEquals(0, supervisor.exit(WAIT), supervisor.errSoFar());
                assertEquals(0, supervisor.process.descendants().count(), "no JVM left behind");
            } finally {
                supervisor.process.descendants().forEach(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void shouldRejectReusePortWithPortZeroAsABadOption() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--reuse-port");
        assertEquals(2, status);
        assertEquals("lb4j: --reuse-port: --listen 127.0.0.1:0 has port 0 (expected: a fixed port, which a "
                + "successor can bind too)\n", err.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"));
    }
}
