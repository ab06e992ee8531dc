package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.HealthState;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.HttpTestServer;
import io.lb4j.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code --probe https:/PATH}, {@code wss:/PATH}, {@code --probe-ca}, {@code --probe-sni} and
 * {@code --probe-insecure}: accepted in any order, refused with exit 2 and one line when wrong or
 * combined in a way that cannot work, and probing real TLS backends as given.
 */
@ExtendWith(FaultOracle.class)
class TlsProbeOptionsTest {
    private final TestCertificates certs = TestCertificates.get();

    @Test
    void shouldAcceptTheTlsProbesWithTheirOptionsInAnyOrder() {
        String ca = certs.caPem().toString();
        Options.parse(CliRun.with("--probe", "https:/health")).toBuilder().build();
        Options.parse(CliRun.with("--probe", "wss:/ws", "--probe-insecure")).toBuilder().build();
        Options.parse(CliRun.with("--probe-ca", ca, "--probe-sni", "api.internal", "--probe", "https:/ready?x=1"))
                .toBuilder().build();
        Options.parse(CliRun.with("--probe", "wss:/ws", "--probe-ca", certs.caPlainPkcs12().toString())).toBuilder().build();
        // with --probe none the probe options are accepted and ignored
        Options.parse(CliRun.with("--probe", "none", "--probe-insecure", "--probe-sni", "x.example")).toBuilder().build();
    }

    @Test
    void shouldRefuseBadTlsProbeOptionsWithExit2AndOneLineNamingTheOption() throws Exception {
        assertEquals("lb4j: --probe-ca: /nonexistent/ca.pem: no such file",
                CliRun.refusal("--probe", "https:/h", "--probe-ca", "/nonexistent/ca.pem"));
        assertTrue(CliRun.refusal("--probe", "https:/h", "--probe-ca", certs.dir().toString())
                .startsWith("lb4j: --probe-ca: " + certs.dir() + ": cannot read"));
        Path garbage = Files.writeString(certs.dir().resolve("garbage.txt"), "not a certificate\n", StandardCharsets.US_ASCII);
        assertTrue(CliRun.refusal("--probe", "https:/h", "--probe-ca", garbage.toString())
                .startsWith("lb4j: --probe-ca: " + garbage + ": not a PEM or PKCS#12 file"));
        Path noCertificate = Files.writeString(certs.dir().resolve("key-only.pem"),
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
        assertTrue(CliRun.refusal("--probe", "https:/h", "--probe-ca", noCertificate.toString())
                .startsWith("lb4j: --probe-ca: " + noCertificate + ": no certificate"));
        assertTrue(CliRun.refusal("--probe", "https:/h", "--probe-ca", certs.keysFile(TestCertificates.CLIENT).toString())
                .startsWith("lb4j: --probe-ca: "), "a PKCS#12 file whose certificates need a password");
        assertEquals("lb4j: --probe-insecure: given with --probe-ca " + certs.caPem() + " (expected: one or the other)",
                CliRun.refusal("--probe-insecure", "--probe", "wss:/ws", "--probe-ca", certs.caPem().toString()));
        assertEquals("lb4j: --probe-ca: applies only to TLS probes (expected: --probe https:/PATH or wss:/PATH)",
                CliRun.refusal("--probe", "http:/h", "--probe-ca", certs.caPem().toString()));
        assertEquals("lb4j: --probe-insecure: applies only to TLS probes (expected: --probe https:/PATH or wss:/PATH)",
                CliRun.refusal("--probe-insecure"));
        assertEquals("lb4j: --probe-sni: 'bad name!' (expected: a DNS host name)",
                CliRun.refusal("--probe", "https:/h", "--probe-sni", "bad name!"));
        assertTrue(CliRun.refusal("--probe", "https:health").startsWith("lb4j: --probe: "));
        assertTrue(CliRun.refusal("--probe", "wss:/a b").startsWith("lb4j: --probe: path: "));
        assertEquals("lb4j: --probe-insecure: takes no value", CliRun.refusal("--probe", "https:/h", "--probe-insecure=yes"));
        Path[] client = certs.pemFiles(TestCertificates.CLIENT);
        assertEquals("lb4j: --probe-client-cert: given without --probe-client-key",
                CliRun.refusal("--probe", "https:/h", "--probe-client-cert", client[0].toString()));
        assertEquals("lb4j: --probe-client-key: given without --probe-client-cert",
                CliRun.refusal("--probe", "https:/h", "--probe-client-key", client[1].toString()));
        assertEquals("lb4j: --probe-client-cert: /nonexistent/c.pem: no such file",
                CliRun.refusal("--probe", "https:/h", "--probe-client-cert", "/nonexistent/c.pem"));
        assertTrue(CliRun.refusal("--probe", "https:/h", "--probe-client-cert", client[0].toString(),
                "--probe-client-key", certs.caPem().toString()).startsWith("lb4j: --probe-client-key: " + certs.caPem()
                + ": no private key"));
        assertEquals("lb4j: --probe-client-cert: applies only to TLS probes (expected: --probe https:/PATH or wss:/PATH)",
                CliRun.refusal("--probe", "tcp", "--probe-client-cert", client[0].toString()));
    }

    @Test
    void shouldProbeTlsBackendsWithTheCaAndServerNameGivenOnTheCommandLine() throws Exception {
        try (HttpTestServer localhost = HttpTestServer.startTls(certs.serverContext(TestCertificates.LOCALHOST),
                HttpTestServer.status(200));
             HttpTestServer other = HttpTestServer.startTls(certs.serverContext(TestCertificates.OTHER_NAME),
                     HttpTestServer.status(200))) {
            String ca = certs.caPem().toString();
            assertEquals(HealthState.UP, firstProbe("--backend", "localhost:" + localhost.port(),
                    "--probe", "https:/health", "--probe-ca", ca).state());
            BalancerStats.BackendStats mismatch = firstProbe("--backend", "127.0.0.1:" + other.port(),
                    "--probe", "https:/health", "--probe-ca", ca);
            assertEquals(HealthState.DOWN, mismatch.state());
            assertEquals("probe: tls: hostname mismatch", mismatch.reason());
            assertEquals(HealthState.UP, firstProbe("--backend", "127.0.0.1:" + other.port(),
                    "--probe", "https:/health", "--probe-ca", ca, "--probe-sni", "other.example").state());
            assertEquals(HealthState.UP, firstProbe("--backend", "127.0.0.1:" + other.port(),
                    "--probe", "https:/health", "--probe-insecure").state());
            BalancerStats.BackendStats untrusted = firstProbe("--backend", "127.0.0.1:" + localhost.port(),
                    "--probe", "https:/health");
            assertEquals("probe: tls: certificate not trusted", untrusted.reason(), "the JDK's store knows no test CA");
        }
    }

    @Test
    void shouldPresentTheClientCertificateGivenOnTheCommandLine() throws Exception {
        try (HttpTestServer mutual = HttpTestServer.startTls(certs.serverContext(TestCertificates.LOCALHOST, true), true,
                HttpTestServer.status(200))) {
            String ca = certs.caPem().toString();
            Path[] client = certs.pemFiles(TestCertificates.CLIENT);
            assertEquals(HealthState.DOWN, firstProbe("--backend", "localhost:" + mutual.port(),
                    "--probe", "wss:/ws", "--probe-ca", ca).state());
            assertEquals(HealthState.UP, firstProbe("--backend", "localhost:" + mutual.port(), "--probe", "https:/health",
                    "--probe-ca", ca, "--probe-client-cert", client[0].toString(),
                    "--probe-client-key", client[1].toString()).state());
        }
    }

    /** Starts a balancer from {@code args} (one backend) and returns that backend after its first probe. */
    private static BalancerStats.BackendStats firstProbe(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--listen";
        all[1] = "127.0.0.1:0";
        System.arraycopy(args, 0, all, 2, args.length);
        try (Balancer lb = Options.parse(all).toBuilder().jmx(false).build()) {
            lb.start();
            return lb.stats().backends().get(0);
        }
    }

    @Test
    void shouldListTheTlsProbeOptionsInTheHelp() {
        for (String text : new String[] {"https:/PATH", "wss:/PATH", "--probe-ca PATH", "--probe-sni NAME",
            "--probe-insecure", "--probe-client-cert PATH", "--probe-client-key PATH"}) {
            assertTrue(Options.HELP.contains(text), text);
        }
    }
}
