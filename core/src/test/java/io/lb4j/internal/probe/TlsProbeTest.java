package io.lb4j.internal.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.lb4j.Backend;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.ProbeTls;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.HttpTestServer;
import io.lb4j.testing.TestCertificates;
import io.lb4j.testing.WebSocketTestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTPS and secure WebSocket probes against real TLS servers on loopback: the JDK's
 * {@code HttpsServer} and {@code SSLServerSocket} servers, with certificates made by {@code keytool}.
 * Every check runs on a real event loop, as in the engine; each test ends with no fault counted on
 * that loop and no probe socket left registered.
 */
@ExtendWith(FaultOracle.class)
class TlsProbeTest {
    @RegisterExtension
    static final ProbeRunner runner = new ProbeRunner();
    private static TestCertificates certs;
    private static ProbeTls trustCa;
    private final List<HttpsServer> httpsServers = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void trustTheTestCa() {
        certs = TestCertificates.get();
        trustCa = ProbeTls.builder().trustCertificates(certs.caPem()).build();
    }

    @AfterEach
    void noFaultNoLeftoverSocket() throws Exception {
        httpsServers.forEach(s -> s.stop(0));
        runner.assertNoFaultAndNoSocketLeft("every probe socket released");
    }

    /** The JDK's HttpsServer presenting {@code alias}, answering every path with {@code status}. */
    private InetSocketAddress https(String alias, int status) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(certs.serverContext(alias)));
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        httpsServers.add(server);
        return server.getAddress();
    }

    private static Backend localhost(InetSocketAddress address) {
        return Backend.of("localhost", address.getPort());
    }

    @Test
    void shouldPassWhenTheCertificateChainsToTheTrustedCaAndMatchesTheAddress() throws Exception {
        InetSocketAddress server = https(TestCertificates.LOCALHOST, 200);
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/health", trustCa), server));
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/health", trustCa), localhost(server), server));
    }

    @Test
    void shouldFailOnA503WithTheStatusAsReason() throws Exception {
        InetSocketAddress server = https(TestCertificates.LOCALHOST, 503);
        assertEquals(ProbeResult.failed("status 503"), runner.check(HealthProbe.https("/health", trustCa), server));
    }

    @Test
    void shouldFailASelfSignedCertificateAsNotTrustedByTheCaOrTheJdkStore() throws Exception {
        InetSocketAddress server = https(TestCertificates.SELF_SIGNED, 200);
        assertEquals(ProbeResult.failed("tls: certificate not trusted"),
                runner.check(HealthProbe.https("/health", trustCa), server));
        assertEquals(ProbeResult.failed("tls: certificate not trusted"),
                runner.check(HealthProbe.https("/health"), server));
    }

    @Test
    void shouldPassAnyCertificateForAnyNameWhenInsecure() throws Exception {
        ProbeTls insecure = ProbeTls.builder().insecureTrustAnyCertificate(true).build();
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/h", insecure),
                https(TestCertificates.SELF_SIGNED, 200)));
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/h", insecure),
                https(TestCertificates.OTHER_NAME, 200)));
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/h", insecure),
                https(TestCertificates.EXPIRED, 200)));
    }

    @Test
    void shouldFailATrustedCertificateForAnotherNameAsHostnameMismatch() throws Exception {
        InetSocketAddress other = https(TestCertificates.OTHER_NAME, 200);
        assertEquals(ProbeResult.failed("tls: hostname mismatch"),
                runner.check(HealthProbe.https("/health", trustCa), other));
        assertEquals(ProbeResult.failed("tls: hostname mismatch"),
                runner.check(HealthProbe.https("/health", trustCa), localhost(other), other));
        // the configured server name is what is verified, whatever the backend is called
        ProbeTls otherName = ProbeTls.builder().trustCertificates(certs.caPem()).serverName("other.example").build();
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/health", otherName), other));
        ProbeTls wrongName = ProbeTls.builder().trustCertificates(certs.caPem()).serverName("wrong.example").build();
        assertEquals(ProbeResult.failed("tls: hostname mismatch"), runner.check(HealthProbe.https("/health", wrongName),
                localhost(other), https(TestCertificates.LOCALHOST, 200)));
    }

    @Test
    void shouldFailAnExpiredCertificate() throws Exception {
        assertEquals(ProbeResult.failed("tls: certificate expired"),
                runner.check(HealthProbe.https("/health", trustCa), https(TestCertificates.EXPIRED, 200)));
    }

    @Test
    void shouldSendTheBackendHostAsSniWhenItIsANameAndNoneForAnAddress() throws Exception {
        List<List<SNIServerName>> seen = new CopyOnWriteArrayList<>();
        try (HttpTestServer server = HttpTestServer.startTls(certs.serverContext(TestCertificates.LOCALHOST),
                (head, socket, s) -> {
                    seen.add(((ExtendedSSLSession) ((SSLSocket) socket).getSession()).getRequestedServerNames());
                    HttpTestServer.status(200).respond(head, socket, s);
                })) {
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", trustCa), localhost(server.address()),
                    server.address()));
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", trustCa), server.address()));
            ProbeTls named = ProbeTls.builder().trustCertificates(certs.caPem()).serverName("localhost").build();
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", named),
                    Backend.of("127.0.0.1", server.port()), server.address()));
            assertEquals(List.of(List.of(new SNIHostName("localhost")), List.of(), List.of(new SNIHostName("localhost"))),
                    seen);
            assertEquals("localhost:" + server.port(), HttpTestServer.header(server.requests().get(2), "Host"),
                    "the Host header names the server name too");
        }
    }

    @Test
    void shouldFailAPlainTextAnswerAsNotTls() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().read(new byte[4096]);
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".getBytes("US-ASCII"));
                    s.shutdownOutput();
                    s.getInputStream().readAllBytes();
                } catch (IOException e) {
                    // the probe went away
                }
            });
            t.start();
            assertEquals(ProbeResult.failed("tls: not a TLS server (its answer is not a TLS record)"),
                    runner.check(HealthProbe.https("/", trustCa), (InetSocketAddress) server.getLocalSocketAddress()));
            t.join(5_000);
        }
    }

    @Test
    void shouldPassASecureWebSocketHandshakeAndCloseCleanlyInsideTls() throws Exception {
        try (WebSocketTestServer server = WebSocketTestServer.startTls(certs.serverContext(TestCertificates.LOCALHOST))) {
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.secureWebSocket("/ws", trustCa), server.address()));
            Await.until("the close frame, decrypted by the server", () -> server.cleanCloses() == 1,
                    Duration.ofSeconds(5));
            assertEquals(1, server.upgrades());
            assertTrue(server.requests().get(0).startsWith("GET /ws HTTP/1.1\r\n"));
        }
    }

    @Test
    void shouldFailASecureWebSocketProbeOnAnUntrustedCertificate() throws Exception {
        try (WebSocketTestServer server = WebSocketTestServer.startTls(certs.serverContext(TestCertificates.SELF_SIGNED))) {
            assertEquals(ProbeResult.failed("tls: certificate not trusted"),
                    runner.check(HealthProbe.secureWebSocket("/ws", trustCa), server.address()));
            assertEquals(0, server.upgrades());
        }
    }

    @Test
    void shouldPresentTheClientCertificateToABackendThatRequiresOne() throws Exception {
        try (HttpTestServer server = HttpTestServer.startTls(certs.serverContext(TestCertificates.LOCALHOST, true), true,
                HttpTestServer.status(200))) {
            ProbeResult without = runner.check(HealthProbe.https("/", trustCa), server.address());
            assertFalse(without.healthy());
            assertTrue(without.reason().startsWith("tls: "), without.reason());
            ProbeTls mutual = ProbeTls.builder().trustCertificates(certs.caPem())
                    .clientCertificate(certs.keysFile(TestCertificates.CLIENT), TestCertificates.PASSWORD.toCharArray())
                    .build();
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", mutual), server.address()));
            Path[] pem = certs.pemFiles(TestCertificates.CLIENT);
            ProbeTls mutualPem = ProbeTls.builder().trustCertificates(certs.caPem()).clientCertificate(pem[0], pem[1])
                    .build();
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", mutualPem), server.address()));
            assertEquals(2, server.requests().size(), "only the probes with the certificate got their request through");
        }
    }

    @Test
    void shouldRefuseAClientKeyThatIsNotUnencryptedPkcs8OrNotTheCertificates() throws Exception {
        Path[] client = certs.pemFiles(TestCertificates.CLIENT);
        Path[] other = certs.pemFiles(TestCertificates.OTHER_NAME);
        IllegalArgumentException mismatch = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ProbeTls.builder().clientCertificate(client[0], other[1]));
        assertEquals("clientCertificate: " + other[1] + ": does not belong to the first certificate of " + client[0],
                mismatch.getMessage());
        Path sec1 = java.nio.file.Files.writeString(certs.dir().resolve("sec1.pem"),
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        IllegalArgumentException format = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ProbeTls.builder().clientCertificate(client[0], sec1));
        assertTrue(format.getMessage().startsWith("clientCertificate: " + sec1 + ": a SEC1 EC key (expected: an "
                + "unencrypted PKCS#8 key"), format.getMessage());
        IllegalArgumentException both = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ProbeTls.builder().insecureTrustAnyCertificate(true).trustCertificates(certs.caPem()).build());
        assertTrue(both.getMessage().startsWith("insecureTrustAnyCertificate: true with trustCertificates "),
                both.getMessage());
    }

    @Test
    void shouldReadTrustFromAPkcs12File() throws Exception {
        InetSocketAddress server = https(TestCertificates.LOCALHOST, 200);
        ProbeTls plainP12 = ProbeTls.builder().trustCertificates(certs.caPlainPkcs12()).build();
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", plainP12), server));
        ProbeTls protectedP12 = ProbeTls.builder().trustCertificates(certs.keysFile(TestCertificates.CLIENT),
                TestCertificates.PASSWORD.toCharArray()).build(); // its chain holds the CA
        assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", protectedP12), server));
    }

    @Test
    void shouldVerifyTheCertificateOnEveryProbeInsteadOfResumingASession() throws Exception {
        AtomicReference<String> presented = new AtomicReference<>(TestCertificates.LOCALHOST);
        SSLContext switching = SSLContext.getInstance("TLS");
        switching.init(new javax.net.ssl.KeyManager[] {new SwitchingKeys(presented)}, null, null);
        try (HttpTestServer server = HttpTestServer.startTls(switching, HttpTestServer.status(200))) {
            HealthProbe probe = HealthProbe.https("/", trustCa);
            assertEquals(ProbeResult.ok(), runner.check(probe, server.address()));
            assertEquals(ProbeResult.ok(), runner.check(probe, server.address()));
            presented.set(TestCertificates.SELF_SIGNED);
            assertEquals(ProbeResult.failed("tls: certificate not trusted"), runner.check(probe, server.address()),
                    "a resumed session would have skipped the certificate");
        }
    }

    @Test
    void shouldLeaveTheLoopFreeWhileAServerStallsMidHandshake() throws Exception {
        CountDownLatch helloRead = new CountDownLatch(1);
        try (ServerSocket staller = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = staller.accept()) {
                    s.getInputStream().read(new byte[4096]); // the ClientHello, never answered
                    helloRead.countDown();
                    s.getInputStream().readAllBytes(); // until the probe gives up
                } catch (IOException e) {
                    // closed
                }
            });
            t.start();
            CompletableFuture<ProbeResult> stalled = runner.launch(HealthProbe.https("/", trustCa),
                    Backend.of("127.0.0.1", staller.getLocalPort()), (InetSocketAddress) staller.getLocalSocketAddress())
                    .toCompletableFuture();
            assertTrue(helloRead.await(5, TimeUnit.SECONDS), "the stalling server read the ClientHello");
            // the same loop still runs a full TLS probe while the first waits for its ServerHello
            assertEquals(ProbeResult.ok(), runner.check(HealthProbe.https("/", trustCa),
                    https(TestCertificates.LOCALHOST, 200)));
            assertFalse(stalled.isDone(), "the stalled probe is still waiting");
            // what the engine's checker reports when it gives up at the timeout, and then cancels the stage
            assertEquals("tls: handshake timed out", ProbeFuture.timeoutReason(stalled));
            runner.loop.execute(() -> stalled.cancel(false));
            t.join(5_000);
            assertFalse(t.isAlive(), "the stalling server saw the probe's socket closed");
        }
    }

    @Test
    void shouldRunTheHandshakeWorkOnTheLoopWhenTheProbeExecutorIsFull() throws Exception {
        InetSocketAddress server = https(TestCertificates.LOCALHOST, 200);
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        LoopTarget target = runner.target(Backend.of("localhost", server.getPort()), server, task -> {
            refused.incrementAndGet();
            throw new java.util.concurrent.RejectedExecutionException("full");
        });
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        runner.loop.execute(() -> HealthProbe.https("/", trustCa).check(target).whenComplete((r, t) -> result.complete(r)));
        assertEquals(ProbeResult.ok(), result.get(5, TimeUnit.SECONDS));
        assertTrue(refused.get() > 0, "the executor was asked first");
    }

    @Test
    void shouldRunOutsideTheEngineOnABlockingSocket() throws Exception {
        InetSocketAddress good = https(TestCertificates.LOCALHOST, 200);
        InetSocketAddress untrusted = https(TestCertificates.SELF_SIGNED, 200);
        assertEquals(ProbeResult.ok(), plainTarget(HealthProbe.https("/", trustCa), good));
        assertEquals(ProbeResult.failed("tls: certificate not trusted"), plainTarget(HealthProbe.https("/", trustCa), untrusted));
        assertEquals(ProbeResult.failed("tls: hostname mismatch"),
                plainTarget(HealthProbe.https("/", trustCa), https(TestCertificates.OTHER_NAME, 200)));
    }

    private static ProbeResult plainTarget(HealthProbe probe, InetSocketAddress address) throws Exception {
        HealthProbe.Target target = new HealthProbe.Target() {
            @Override
            public Backend backend() {
                return Backend.of("127.0.0.1", address.getPort());
            }

            @Override
            public InetSocketAddress address() {
                return address;
            }

            @Override
            public Duration timeout() {
                return Duration.ofSeconds(2);
            }
        };
        return probe.check(target).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** Presents whichever of the test identities {@code alias} names at the moment of the handshake. */
    private static final class SwitchingKeys extends X509ExtendedKeyManager {
        private final AtomicReference<String> alias;

        SwitchingKeys(AtomicReference<String> alias) {
            this.alias = alias;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, SSLEngine engine) {
            return alias.get();
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
            return alias.get();
        }

        @Override
        public X509Certificate[] getCertificateChain(String name) {
            try {
                java.security.cert.Certificate[] chain = certs.keys(name).getCertificateChain(name);
                return java.util.Arrays.copyOf(chain, chain.length, X509Certificate[].class);
            } catch (java.security.KeyStoreException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public PrivateKey getPrivateKey(String name) {
            try {
                return (PrivateKey) certs.keys(name).getKey(name, TestCertificates.PASSWORD.toCharArray());
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return new String[] {alias.get()};
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
