package io.lb4j.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates for TLS tests, made once per test JVM by the JDK's own {@code keytool} in child
 * processes (EC P-256 keys, so it is quick): a test CA, and leaves signed by it for {@code localhost}
 * and {@code 127.0.0.1}, one expired, one for another name, a self-signed one, and a client
 * certificate. Files live in a temporary directory removed when the JVM exits.
 */
public final class TestCertificates {
    /** The password of every store made here. */
    public static final String PASSWORD = "changeit";
    /** Leaf for localhost and 127.0.0.1, signed by the CA. */
    public static final String LOCALHOST = "localhost";
    /** As {@link #LOCALHOST}, but its validity ended two days ago. */
    public static final String EXPIRED = "expired";
    /** Signed by the CA for {@code other.example} only. */
    public static final String OTHER_NAME = "other";
    /** For localhost and 127.0.0.1, self-signed (not by the CA). */
    public static final String SELF_SIGNED = "selfsigned";
    /** A client certificate signed by the CA, for mutual TLS. */
    public static final String CLIENT = "client";

    private static TestCertificates instance;

    private final Path dir;
    private final KeyStore all;

    private TestCertificates(Path dir) throws IOException, GeneralSecurityException {
        this.dir = dir;
        this.all = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("all.p12"))) {
            all.load(in, PASSWORD.toCharArray());
        }
    }

    /** The certificates, made on first use. */
    public static synchronized TestCertificates get() {
        if (instance == null) {
            try {
                Path dir = Files.createTempDirectory("lb4j-tls-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
                make(dir);
                instance = new TestCertificates(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    private static void make(Path dir) throws IOException, InterruptedException {
        String store = dir.resolve("all.p12").toString();
        String names = "san=dns:localhost,ip:127.0.0.1";
        keytool(dir, "-genkeypair", "-keystore", store, "-alias", "ca", "-dname", "CN=lb4j test CA",
                "-ext", "bc:c", "-validity", "3");
        keytool(dir, "-genkeypair", "-keystore", store, "-alias", LOCALHOST, "-signer", "ca",
                "-dname", "CN=localhost", "-ext", names, "-validity", "3");
        keytool(dir, "-genkeypair", "-keystore", store, "-alias", EXPIRED, "-signer", "ca",
                "-dname", "CN=localhost", "-ext", names, "-startdate", "-3d", "-validity", "1");
        keytool(dir, "-genkeypair", "-keystore", store, "-alias", OTHER_NAME, "-signer", "ca",
                "-dname", "CN=other.example", "-ext", "san=dns:other.example", "-validity", "3");
        keytool(dir, "-genkeypair", "-keystore", store, "-alias", SELF_SIGNED,
                "-dname", "CN=localhost", "-ext", names, "-validity", "3");
        keytool(dir, "-genkeypair", "-keystore", store, "-alias", CLIENT, "-signer", "ca",
                "-dname", "CN=lb4j probe", "-validity", "3");
        keytool(dir, "-exportcert", "-rfc", "-keystore", store, "-alias", "ca", "-file",
                dir.resolve("ca.pem").toString());
        // a trust store a CLI user can give without a password: certificates not encrypted, no MAC
        keytool(dir, "-importcert", "-noprompt", "-keystore", dir.resolve("ca-plain.p12").toString(), "-alias", "ca",
                "-file", dir.resolve("ca.pem").toString(),
                "-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE", "-J-Dkeystore.pkcs12.macAlgorithm=NONE");
    }

    private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        List<String> jvm = new ArrayList<>();
        for (String a : args) {
            (a.startsWith("-J") ? jvm : command).add(a);
        }
        command.addAll(jvm);
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        if (args[0].equals("-genkeypair")) {
            command.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1"));
        }
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + String.join(" ", args) + ": "
                    + new String(output, StandardCharsets.UTF_8));
        }
    }

    /** The CA's certificate as a PEM file. */
    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    /** The CA's certificate in a PKCS#12 store whose certificates are not encrypted (readable without password). */
    public Path caPlainPkcs12() {
        return dir.resolve("ca-plain.p12");
    }

    /** The directory the files are in (for tests that write a file of their own next to them). */
    public Path dir() {
        return dir;
    }

    /** The certificate of {@code alias}. */
    public X509Certificate certificate(String alias) {
        try {
            return (X509Certificate) all.getCertificate(alias);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A store holding only {@code alias}'s key and chain (so a server or client has one identity). */
    public KeyStore keys(String alias) {
        try {
            KeyStore one = KeyStore.getInstance("PKCS12");
            one.load(null, null);
            one.setKeyEntry(alias, all.getKey(alias, PASSWORD.toCharArray()), PASSWORD.toCharArray(),
                    all.getCertificateChain(alias));
            return one;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #keys} written as a PKCS#12 file with {@link #PASSWORD}. */
    public Path keysFile(String alias) {
        Path file = dir.resolve(alias + "-keys.p12");
        try {
            if (!Files.exists(file)) {
                try (var out = Files.newOutputStream(file)) {
                    keys(alias).store(out, PASSWORD.toCharArray());
                }
            }
            return file;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code alias}'s certificate chain and private key as PEM files (the key unencrypted PKCS#8), as a
     * Kubernetes TLS secret holds them: {@code [chain, key]}.
     */
    public Path[] pemFiles(String alias) {
        Path chain = dir.resolve(alias + "-chain.pem");
        Path key = dir.resolve(alias + "-key.pem");
        try {
            if (!Files.exists(key)) {
                StringBuilder pem = new StringBuilder();
                for (java.security.cert.Certificate c : all.getCertificateChain(alias)) {
                    pem.append(pem("CERTIFICATE", c.getEncoded()));
                }
                Files.writeString(chain, pem);
                Files.writeString(key, pem("PRIVATE KEY", all.getKey(alias, PASSWORD.toCharArray()).getEncoded()));
            }
            return new Path[] {chain, key};
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** A server context presenting {@code alias}. */
    public SSLContext serverContext(String alias) {
        return serverContext(alias, false);
    }

    /** A server context presenting {@code alias}; with {@code trustCa}, it trusts client certificates of the CA. */
    public SSLContext serverContext(String alias, boolean trustCa) {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(keys(alias), PASSWORD.toCharArray());
            TrustManagerFactory trust = null;
            if (trustCa) {
                KeyStore ca = KeyStore.getInstance("PKCS12");
                ca.load(null, null);
                ca.setCertificateEntry("ca", certificate("ca"));
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(ca);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context that trusts the CA (for test clients talking TLS through the balancer). */
    public SSLContext clientContext() {
        try {
            KeyStore ca = KeyStore.getInstance("PKCS12");
            ca.load(null, null);
            ca.setCertificateEntry("ca", certificate("ca"));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(ca);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: the OS cleans it eventually
        }
    }
}
