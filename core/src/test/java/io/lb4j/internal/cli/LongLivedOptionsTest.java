package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.ChildJvm;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CLI's front-door health, drain pacing and keepalive options. */
@ExtendWith(FaultOracle.class)
class LongLivedOptionsTest {
    @Test
    void shouldRefuseBadValuesNamingTheOption() {
        assertTrue(CliRun.refusal("--front-health", "nowhere").startsWith("lb4j: --front-health: 'nowhere'"));
        assertTrue(CliRun.refusal("--front-health", "127.0.0.1:0", "--front-health-mode", "udp")
                .startsWith("lb4j: --front-health-mode: 'udp'"));
        assertTrue(CliRun.refusal("--front-health-min-backends", "2")
                .startsWith("lb4j: --front-health-min-backends: given without --front-health"));
        assertTrue(CliRun.refusal("--front-health-grace", "5s")
                .startsWith("lb4j: --front-health-grace: given without --front-health"));
        assertTrue(CliRun.refusal("--front-health", "127.0.0.1:0", "--front-health-min-backends", "-1")
                .startsWith("lb4j: --front-health-min-backends: -1"));
        assertTrue(CliRun.refusal("--drain-pacing", "1m").startsWith("lb4j: --drain-pacing: 1m (expected: at most"));
        assertTrue(CliRun.refusal("--drain-pacing", "5s", "--drain-timeout", "2s").startsWith("lb4j: --drain-pacing: 5s"));
        assertTrue(CliRun.refusal("--tcp-keepalive", "500ms").startsWith("lb4j: --tcp-keepalive: '500ms'"));
    }

    @Test
    void shouldDescribeEveryLongLivedOptionInTheHelp() {
        for (String option : new String[] {"--front-health HOST:PORT", "--front-health-mode http|tcp",
                "--front-health-min-backends N", "--front-health-grace D", "--drain-pacing D", "--tcp-keepalive D"}) {
            assertTrue(Options.HELP.contains("  " + option), option);
        }
    }

    private static int status(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: lb\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String line = new String(in.readNBytes(12), StandardCharsets.US_ASCII); // "HTTP/1.1 200"
            return Integer.parseInt(line.substring(9));
        }
    }

    @Test
    void shouldTurnFrontHealthUnhealthyOnSigtermWhileStillAcceptingForTheGrace() throws Exception {
        int healthPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            healthPort = probe.getLocalPort();
        }
        try (EchoServer echo = EchoServer.start()) {
            Process p = ChildJvm.process("io.lb4j.internal.cli.Main",
                    "--listen", "127.0.0.1:0", "--backend", echo.hostPort(), "--threads", "1", "--probe", "none",
                    "--front-health", "127.0.0.1:" + healthPort, "--front-health-grace", "3s",
                    "--drain-pacing", "1s", "--drain-timeout", "5s")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Matcher m = Pattern.compile("lb4j listening on 127\\.0\\.0\\.1:(\\d+)").matcher(out.readLine());
                assertTrue(m.matches());
                int port = Integer.parseInt(m.group(1));
                assertEquals(200, status(healthPort), "healthy while running");
                try (Socket held = new Socket("127.0.0.1", port)) {
                    held.setSoTimeout(10_000);
                    held.getOutputStream().write(1);
                    assertEquals(1, held.getInputStream().read());
                    long signalled = System.nanoTime();
                    p.destroy(); // SIGTERM
                    Await.until("front health 503", () -> {
                        try {
                            return status(healthPort) == 503;
                        } catch (IOException e) {
                            return false;
                        }
                    }, Duration.ofSeconds(10));
                    assertTrue(System.nanoTime() - signalled < Duration.ofSeconds(3).toNanos(),
                            "unhealthy before the grace ended");
                    try (Socket during = new Socket("127.0.0.1", port)) {
                        during.setSoTimeout(10_000);
                        during.getOutputStream().write(2);
                        assertEquals(2, during.getInputStream().read(), "still relaying during the grace");
                    }
                    assertEquals(-1, held.getInputStream().read(), "the paced drain closed the open connection");
                }
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "exits after the drain");
                assertEquals(0, p.exitValue());
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
