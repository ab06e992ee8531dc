package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * lb4j on the module path, as an embedder runs it: a small application module
 * ({@code src/test/embedder}, with its own {@code module-info.java} that requires {@code io.lb4j}
 * only) compiled and launched in a child JVM with {@code java --module-path ... -m}. Its
 * connection's keepalive is read back from the kernel ({@code /proc/net/tcp}): lb4j's idle time,
 * not the kernel's two hours, with no {@code --add-modules}. In a runtime without
 * {@code java.management} and {@code java.logging} (as a jlink image of the application) it still
 * starts and logs, with JMX off.
 */
@ExtendWith(FaultOracle.class)
class ModulePathTest {
    /** The kernel's keepalive timer counts in USER_HZ ticks (100 per second on Linux). */
    private static final int TICKS_PER_SECOND = 100;

    @TempDir
    Path work;

    private Path compile() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "javac");
        assumeTrue(Files.isExecutable(java), "a JDK with javac");
        Path out = work.resolve("embedder");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-d", out.toString(),
                "--module-path", Path.of("target", "classes").toAbsolutePath().toString()));
        try (Stream<Path> sources = Files.walk(Path.of("src", "test", "embedder"))) {
            sources.filter(p -> p.toString().endsWith(".java")).forEach(p -> command.add(p.toString()));
        }
        Process javac = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(javac.waitFor(60, TimeUnit.SECONDS), "javac took over a minute");
        assertEquals(0, javac.exitValue(), output);
        return out;
    }

    /** Runs the application, checks its keepalive through /proc, returns {@code jmx} and the standard error. */
    private List<String> run(Path app, String... javaOptions) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(javaOptions));
        command.addAll(List.of("--module-path", Path.of("target", "classes").toAbsolutePath() + File.pathSeparator + app,
                "-m", "embedder/embedder.Main"));
        Process child = new ProcessBuilder(command).start();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String jmx = out.readLine();
            String ports = out.readLine();
            assertTrue(jmx != null && ports != null && ports.startsWith("ports "),
                    "the application did not start: " + jmx + " / " + ports + "\n" + (child.isAlive() ? "" : stderr.join()));
            String[] p = ports.split(" ");
            int listen = Integer.parseInt(p[1]);
            int client = Integer.parseInt(p[2]);
            // lb4j turns keepalive on once a connection has lasted a second
            long ticks = Await.value("a keepalive timer on lb4j's client socket", () -> {
                try {
                    return keepAliveTicks(listen, client);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, t -> t >= 0, Duration.ofSeconds(10));
            assertTrue(ticks <= 7 * TICKS_PER_SECOND, "keepalive fires in " + ticks / TICKS_PER_SECOND
                    + " s: lb4j's 7 s idle time was not applied (the kernel's default is 7200 s)");
            child.getOutputStream().write('\n');
            child.getOutputStream().flush();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS), "the application did not end");
            assertEquals(0, child.exitValue(), stderr.join());
            return List.of(jmx, stderr.join());
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Ticks until the keepalive timer of the TCP socket from local port {@code local} to remote port
     * {@code remote} fires, or -1 when it has no keepalive timer (yet). {@code /proc/net/tcp}'s
     * {@code tr:tm->when} column: timer 2 is the keepalive timer.
     */
    private static long keepAliveTicks(int local, int remote) throws IOException {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path)) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 6 || !f[1].contains(":") || f[0].equals("sl")) {
                    continue;
                }
                int localPort = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
                int remotePort = Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16);
                if (localPort == local && remotePort == remote) {
                    String[] timer = f[5].split(":");
                    return timer[0].equals("02") ? Long.parseLong(timer[1], 16) : -1;
                }
            }
        }
        return -1;
    }

    @Test
    void shouldKeepLb4jsKeepAliveAndJmxOnTheModulePathWithoutFlags() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "Linux /proc/net/tcp");
        List<String> plain = run(compile());
        // the JDK's service binding resolves java.management and java.logging for a plain launch
        assertEquals("jmx registered", plain.get(0), plain.get(1));
        assertTrue(plain.get(1).contains("is up"), "the first health change is logged:\n" + plain.get(1));
    }

    @Test
    void shouldRunWithJmxOffInARuntimeWithoutJavaManagementOrJavaLogging() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "Linux /proc/net/tcp");
        // as a jlink image of the application and what it requires: io.lb4j, jdk.net, java.base
        List<String> minimal = run(compile(), "--limit-modules", "embedder");
        assertEquals("jmx absent", minimal.get(0), minimal.get(1));
        assertTrue(minimal.get(1).contains("is up"), "logged without java.logging too:\n" + minimal.get(1));
    }
}
