package io.lb4j.internal.registry;

import io.lb4j.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * A real DNS server for tests: dnsmasq on 127.0.0.1 and a free port, serving only the records of a
 * config file the test rewrites ({@link #records}); each rewrite restarts it. Skips the test (an
 * assumption) when dnsmasq is not installed; CI installs it.
 */
final class Dnsmasq implements AutoCloseable {
    private final Path dir;
    private final Path config;
    private final int port;
    private final int ttl;
    private Process process;

    private Dnsmasq(Path dir, int port, int ttl) {
        this.dir = dir;
        this.config = dir.resolve("records.conf");
        this.port = port;
        this.ttl = ttl;
    }

    /** Starts dnsmasq serving {@code records} (dnsmasq config lines) with {@code ttl} seconds. */
    static Dnsmasq start(Path dir, int ttl, String... records) throws IOException, InterruptedException {
        Assumptions.assumeTrue(binary() != null, "dnsmasq is not installed");
        IOException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            // dnsmasq binds UDP and TCP on the port: take one free for both, and retry if it was taken meanwhile
            int port;
            try (java.net.ServerSocket tcp = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 DatagramSocket udp = new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress())) {
                port = udp.getLocalPort();
            } catch (IOException taken) {
                last = taken;
                continue;
            }
            Dnsmasq d = new Dnsmasq(dir, port, ttl);
            try {
                d.records(records);
                return d;
            } catch (IOException e) {
                d.stop();
                last = e;
            }
        }
        throw last;
    }

    private static String binary() {
        for (String candidate : List.of("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    /** Where it answers. */
    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** Replaces every record (restarting the server) and waits until it answers again. */
    void records(String... records) throws IOException, InterruptedException {
        stop();
        Files.write(config, List.of(records), StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(List.of(binary(), "--no-daemon", "--no-resolv", "--no-hosts",
                "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces", "--conf-file=" + config,
                "--local-ttl=" + ttl, "--auth-ttl=" + ttl, "--pid-file", "--user=" + user(), "--log-facility=-"));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("dnsmasq.log").toFile()).start();
        awaitAnswering();
    }

    private static String user() {
        return System.getProperty("user.name");
    }

    private void awaitAnswering() throws IOException {
        boolean answering;
        try {
            answering = Await.settle(this::answers, ok -> ok || !process.isAlive(), Duration.ofSeconds(10));
        } catch (UncheckedIOException e) {
            throw e.getCause(); // an IOException lets start() retry on another port
        }
        if (!process.isAlive()) {
            throw new IOException("dnsmasq exited with " + process.exitValue() + ": "
                    + Files.readString(dir.resolve("dnsmasq.log")));
        }
        if (!answering) {
            throw new IOException("dnsmasq did not answer within 10 s");
        }
    }

    /** Whether it answers a query now (with any answer, even "no such name"). */
    private boolean answers() {
        try (DnsResolver r = new DnsResolver(address(), TimeUnit.MILLISECONDS.toNanos(200), 1)) {
            r.query("ready.invalid", DnsMessage.A).get(1, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for dnsmasq", e);
        }
    }

    /** Stops it (the server then stops answering). */
    void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
