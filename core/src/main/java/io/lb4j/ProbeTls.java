package io.lb4j;

import io.lb4j.internal.probe.TlsClient;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * TLS settings of the {@link HealthProbe#https(String, ProbeTls) HTTPS} and
 * {@link HealthProbe#secureWebSocket(String, ProbeTls) secure WebSocket} probes: which certificates
 * they trust, the server name they send (SNI) and verify, and an optional client certificate for
 * mutual TLS. Immutable and thread-safe; everything it needs (files, the JDK's TLS context) is read
 * and built by {@link Builder#build()}, on the caller's thread, never on an event loop.
 *
 * <p>By default the probes trust the JDK's trust store ({@code cacerts}), send the backend's host as
 * SNI when it is a name (not when it is an IP address), and verify that the certificate matches that
 * host (the {@code HTTPS} endpoint identification of RFC 2818 / RFC 6125, done by the JDK). Every
 * check is a full handshake: sessions are never resumed, so a certificate that expires or changes is
 * noticed at the next probe.
 *
 * <pre>{@code
 * HealthProbe probe = HealthProbe.https("/health", ProbeTls.builder()
 *         .trustCertificates(Path.of("/etc/lb4j/backend-ca.pem"))
 *         .serverName("api.internal")
 *         .build());
 * }</pre>
 */
public final class ProbeTls {
    private final TlsClient client;

    private ProbeTls(TlsClient client) {
        this.client = client;
    }

    /**
     * The default settings: the JDK's trust store, SNI and name check against the backend's host.
     * The first call builds the JDK's TLS context (it reads the trust store); later calls share it.
     *
     * @return the default settings
     */
    public static ProbeTls defaults() {
        return Defaults.INSTANCE;
    }

    /**
     * A builder, starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** The settings as the probe implementation needs them. */
    TlsClient client() {
        return client;
    }

    @Override
    public String toString() {
        return "ProbeTls[" + (client.insecure() ? "insecure" : "verified")
                + (client.serverName() != null ? ", serverName=" + client.serverName() : "") + "]";
    }

    /** Built on first use: reading {@code cacerts} costs tens of milliseconds that most users never need. */
    private static final class Defaults {
        static final ProbeTls INSTANCE = new Builder().build();
    }

    /** Collects the settings; each setter checks its own value at once. Not thread-safe. */
    public static final class Builder {
        private List<X509Certificate> trusted;
        private Path trustedFile;
        private boolean insecure;
        private String serverName;
        private KeyStore clientKeys;
        private char[] clientPassword;

        private Builder() {
        }

        /**
         * Trust the certificates in {@code file} instead of the JDK's trust store: a PEM file of one
         * or more {@code -----BEGIN CERTIFICATE-----} blocks (a CA, or the backends' own
         * self-signed certificates), or a PKCS#12 store whose certificates are not encrypted. The
         * file is read now; a later change to it is not seen.
         *
         * @param file the certificates
         * @return this builder
         * @throws IllegalArgumentException naming {@code trustCertificates} when the file is missing,
         *     unreadable or holds no certificate
         */
        public Builder trustCertificates(Path file) {
            return trustCertificates(file, null);
        }

        /**
         * As {@link #trustCertificates(Path)}, for a PKCS#12 store protected by {@code password}.
         *
         * @param file the certificates
         * @param password the store's password, or {@code null}
         * @return this builder
         * @throws IllegalArgumentException naming {@code trustCertificates} when the file is missing,
         *     unreadable, the password wrong, or it holds no certificate
         */
        public Builder trustCertificates(Path file, char[] password) {
            Objects.requireNonNull(file, "trustCertificates");
            try {
                this.trusted = TlsClient.readTrusted(file, password);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("trustCertificates: " + e.getMessage(), e);
            }
            this.trustedFile = file;
            return this;
        }

        /**
         * <b>Insecure:</b> accept any certificate for any name, so that the probes check only that the
         * backend speaks TLS and answers. Meant for backends with self-signed certificates whose CA
         * is not at hand; cannot be combined with {@link #trustCertificates(Path)}.
         *
         * @param insecure {@code true} to accept any certificate (default {@code false})
         * @return this builder
         */
        public Builder insecureTrustAnyCertificate(boolean insecure) {
            this.insecure = insecure;
            return this;
        }

        /**
         * The server name the probes send (SNI) and verify the certificate against, for every
         * backend, instead of each backend's own host. Also the host of the request's {@code Host}
         * header. An IP address is verified against the certificate's IP addresses and not sent.
         *
         * @param name a DNS host name such as {@code api.internal}, or an IP address
         * @return this builder
         * @throws IllegalArgumentException naming {@code serverName} when it is not a host name
         */
        public Builder serverName(String name) {
            this.serverName = TlsClient.checkServerName("serverName", name);
            return this;
        }

        /**
         * A client certificate for backends that require mutual TLS: a PKCS#12 store holding the
         * private key and its certificate chain. The file is read now.
         *
         * @param keyStore the PKCS#12 file
         * @param password the store's and the key's password
         * @return this builder
         * @throws IllegalArgumentException naming {@code clientCertificate} when the file is missing,
         *     unreadable, the password wrong, or it holds no private key
         */
        public Builder clientCertificate(Path keyStore, char[] password) {
            Objects.requireNonNull(keyStore, "clientCertificate");
            char[] copy = password == null ? null : password.clone();
            try {
                this.clientKeys = TlsClient.readClientKeys(keyStore, copy);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("clientCertificate: " + e.getMessage(), e);
            }
            this.clientPassword = copy;
            return this;
        }

        /**
         * A client certificate for mutual TLS from PEM files, as a Kubernetes TLS secret holds them:
         * the certificate chain (leaf first) and its private key as unencrypted PKCS#8
         * ({@code -----BEGIN PRIVATE KEY-----}; RSA, EC, Ed25519 or Ed448). The files are read now and
         * the key is checked against the leaf.
         *
         * @param certificateChain the PEM certificate chain
         * @param privateKey the PEM private key
         * @return this builder
         * @throws IllegalArgumentException naming {@code clientCertificate} when a file is missing or
         *     unreadable, the key is not unencrypted PKCS#8, or it does not belong to the certificate
         */
        public Builder clientCertificate(Path certificateChain, Path privateKey) {
            Objects.requireNonNull(certificateChain, "clientCertificate");
            Objects.requireNonNull(privateKey, "clientCertificate");
            try {
                this.clientKeys = TlsClient.readClientPem(certificateChain, privateKey);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("clientCertificate: " + e.getMessage(), e);
            }
            this.clientPassword = new char[0];
            return this;
        }

        /**
         * Checks the settings together and builds the JDK's TLS context for them.
         *
         * @return the settings
         * @throws IllegalArgumentException when {@code insecureTrustAnyCertificate} is combined with
         *     {@code trustCertificates}, or the JDK cannot make a TLS context of them
         */
        public ProbeTls build() {
            if (insecure && trusted != null) {
                throw new IllegalArgumentException("insecureTrustAnyCertificate: true with trustCertificates "
                        + trustedFile + " (expected: one or the other)");
            }
            return new ProbeTls(TlsClient.create(trusted, insecure, clientKeys, clientPassword, serverName));
        }
    }
}
