package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.testing.FaultOracle;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(FaultOracle.class)
class BackendSourceOptionsTest {
    @TempDir
    Path dir;

    private String err;

    private int run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int status = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(errBytes, true, StandardCharsets.UTF_8), args);
        err = errBytes.toString(StandardCharsets.UTF_8);
        return status;
    }

    @Test
    void shouldExitTwoNamingFileAndLineForABadBackendsFile() throws Exception {
        Path file = Files.writeString(dir.resolve("b.txt"), "127.0.0.1:80\n127.0.0.1:81 weight=x\n");
        assertEquals(2, run("--listen", "127.0.0.1:0", "--backends-file", file.toString()));
        assertEquals("lb4j: --backends-file: " + file + ":2: weight: 'x' (expected: 1-1000)\n", err);
    }

    @Test
    void shouldExitTwoForAMissingBackendsFile() {
        Path file = dir.resolve("none.txt");
        assertEquals(2, run("--listen", "127.0.0.1:0", "--backends-file", file.toString()));
        assertEquals("lb4j: --backends-file: " + file + ": cannot read (no such file)\n", err);
    }

    @Test
    void shouldExitTwoForBadDnsSources() {
        assertEquals(2, run("--listen", "127.0.0.1:0", "--backends-dns", "svc.example"));
        assertEquals("lb4j: --backends-dns: 'svc.example' (expected: NAME:PORT)\n", err);
        assertEquals(2, run("--listen", "127.0.0.1:0", "--backends-dns", "svc.example:0"));
        assertEquals("lb4j: --backends-dns port: 0 (expected: 1-65535)\n", err);
        assertEquals(2, run("--listen", "127.0.0.1:0", "--backends-srv", "a..b"));
        assertEquals("lb4j: --backends-srv: dns name: 'a..b' (expected: a DNS name)\n", err);
        assertEquals(2, run("--listen", "127.0.0.1:0", "--backends-srv", "_x._tcp.example", "--dns-server", "127.0.0.1"));
        assertEquals("lb4j: --dns-server: '127.0.0.1' (expected: HOST:PORT, or [IPv6]:PORT)\n", err);
    }

    @Test
    void shouldRequireAtLeastOneBackendSource() {
        assertEquals(2, run("--listen", "127.0.0.1:0"));
        assertEquals("lb4j: --backend: required (at least one backend source: --backend, --backends-file, "
                + "--backends-dns or --backends-srv)\n", err);
    }

    @Test
    void shouldExitTwoNamingABackendGivenTwice() {
        assertEquals(2, run("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9000", "--backend", "127.0.0.1:9001",
                "--backend", "127.0.0.1:9000,weight=2"));
        assertEquals("lb4j: --backend: '127.0.0.1:9000' given twice (expected: each backend once)\n", err);
    }

    @Test
    void shouldExitOneWhenTheDnsServerCannotBeResolvedAtStart() {
        // an unresolvable host is a start failure (exit 1, as for an unknown --listen host), not a bad option
        assertEquals(1, run("--listen", "127.0.0.1:0", "--backends-srv", "_x._tcp.example",
                "--dns-server", "no-such-host.invalid:53", "--probe", "none"));
        assertEquals("lb4j: dns server no-such-host.invalid:53: unknown host\n", err);
    }
}
