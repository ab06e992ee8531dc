package io.lb4j.internal.probe;

import io.lb4j.HealthProbe;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What the TLS probes need, made once off the event loops: the {@link SSLContext} (trust, optional
 * client certificate) and the server name to send and verify. Its trust manager wraps the JDK's so
 * that a failed check says why ({@code "tls: hostname mismatch"}, {@code "tls: certificate expired"},
 * {@code "tls: certificate not trusted"}) instead of the JDK's long message.
 */
public final class TlsClient {
    private final SSLContext context;
    private final String serverName;
    private final boolean insecure;

    private TlsClient(SSLContext context, String serverName, boolean insecure) {
        this.context = context;
        this.serverName = serverName;
        this.insecure = insecure;
    }

    /**
     * Builds the context.
     *
     * @param trusted certificates to trust instead of the JDK's store, or {@code null} for the JDK's
     * @param insecure accept any certificate, for any name
     * @param clientKeys a key store holding the client certificate and its key, or {@code null}
     * @param clientPassword the key's password (may be {@code null} with no client certificate)
     * @param serverName the name to send and verify, or {@code null} for the backend's host
     * @throws IllegalArgumentException when the JDK cannot make a TLS context of them
     */
    public static TlsClient create(List<X509Certificate> trusted, boolean insecure, KeyStore clientKeys,
                                   char[] clientPassword, String serverName) {
        try {
            TrustManager trust;
            if (insecure) {
                trust = new TrustAnything();
            } else {
                TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                if (trusted == null) {
                    factory.init((KeyStore) null);
                } else {
                    KeyStore store = KeyStore.getInstance("PKCS12");
                    store.load(null, null);
                    for (int i = 0; i < trusted.size(); i++) {
                        store.setCertificateEntry("trusted-" + i, trusted.get(i));
                    }
                    factory.init(store);
                }
                trust = new Explaining(jdkTrustManager(factory));
            }
            KeyManager[] keys = null;
            if (clientKeys != null) {
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(clientKeys, clientPassword);
                keys = factory.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, new TrustManager[] {trust}, null);
            // sessions are never resumed (see engine()), so the cache needs to hold next to nothing
            context.getClientSessionContext().setSessionCacheSize(1);
            return new TlsClient(context, serverName, insecure);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot make a TLS context: " + Reasons.of(e), e);
        }
    }

    private static X509ExtendedTrustManager jdkTrustManager(TrustManagerFactory factory) {
        for (TrustManager m : factory.getTrustManagers()) {
            if (m instanceof X509ExtendedTrustManager) {
                return (X509ExtendedTrustManager) m;
            }
        }
        throw new IllegalStateException("the JDK's trust manager factory made no X509ExtendedTrustManager");
    }

    /** Whether any certificate is accepted. */
    public boolean insecure() {
        return insecure;
    }

    /** The name sent and verified, or {@code null} for the backend's host. */
    public String serverName() {
        return serverName;
    }

    /**
     * A client engine for one check. The peer port is given as -1 so that the JDK never resumes a
     * session for it: every probe is a full handshake that verifies the certificate, as a new client
     * would (a resumed session would keep a backend whose certificate has expired or changed healthy).
     */
    SSLEngine engine(HealthProbe.Target target) {
        String host = host(target);
        SSLEngine engine = context.createSSLEngine(host, -1);
        engine.setUseClientMode(true);
        engine.setSSLParameters(parameters(engine.getSSLParameters(), host));
        return engine;
    }

    /** A client socket over {@code plain} for the blocking fallback, set up as {@link #engine}. */
    SSLSocket socket(Socket plain, HealthProbe.Target target) throws IOException {
        String host = host(target);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, -1, true);
        socket.setUseClientMode(true);
        socket.setSSLParameters(parameters(socket.getSSLParameters(), host));
        return socket;
    }

    private String host(HealthProbe.Target target) {
        return serverName != null ? serverName : target.backend().host();
    }

    private SSLParameters parameters(SSLParameters p, String host) {
        if (!insecure) {
            p.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 2818 / 6125 name check by the JDK
        }
        if (!isIpLiteral(host)) {
            try {
                p.setServerNames(List.of(new SNIHostName(host)));
            } catch (IllegalArgumentException notADnsName) {
                // such as a name with '_': sent without SNI, still verified against the name
            }
        }
        return p;
    }

    /** RFC 6066 section 3: SNI carries host names only, never an address literal. */
    static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        boolean digitsAndDots = !host.isEmpty();
        for (int i = 0; i < host.length() && digitsAndDots; i++) {
            char c = host.charAt(i);
            digitsAndDots = c == '.' || (c >= '0' && c <= '9');
        }
        return digitsAndDots;
    }

    /**
     * Checks a server name given by the user: a DNS host name (as SNI carries) or an IP literal.
     *
     * @return {@code name}
     * @throws IllegalArgumentException naming {@code setting} when it is neither
     */
    public static String checkServerName(String setting, String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(setting + ": '" + name + "' (expected: a DNS host name)");
        }
        if (!isIpLiteral(name)) {
            try {
                new SNIHostName(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + ": '" + name + "' (expected: a DNS host name)", e);
            }
        }
        return name;
    }

    /**
     * Reads the certificates of a PEM file (one or more {@code BEGIN CERTIFICATE} blocks) or of a
     * PKCS#12 store (its certificate entries, and the chains of its key entries).
     *
     * @param password the PKCS#12 store's password, or {@code null} (then only unencrypted
     *     certificates can be read)
     * @throws IllegalArgumentException starting with the file name, saying what is wrong
     */
    public static List<X509Certificate> readTrusted(Path file, char[] password) {
        byte[] bytes = read(file);
        List<X509Certificate> certificates = new ArrayList<>();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        if (text.contains("-----BEGIN ")) {
            if (!text.contains("-----BEGIN CERTIFICATE-----")) {
                throw new IllegalArgumentException(file + ": no certificate in the PEM file (expected: "
                        + "-----BEGIN CERTIFICATE----- blocks)");
            }
            try {
                for (Certificate c : CertificateFactory.getInstance("X.509")
                        .generateCertificates(new ByteArrayInputStream(pemCertificates(text)))) {
                    certificates.add((X509Certificate) c);
                }
            } catch (CertificateException | RuntimeException e) {
                throw new IllegalArgumentException(file + ": not a valid PEM certificate: " + Reasons.of(e), e);
            }
        } else {
            KeyStore store = pkcs12(file, bytes, password);
            try {
                for (String alias : Collections.list(store.aliases())) {
                    if (store.isCertificateEntry(alias)) {
                        certificates.add((X509Certificate) store.getCertificate(alias));
                    } else if (store.getCertificateChain(alias) != null) {
                        for (Certificate c : store.getCertificateChain(alias)) {
                            certificates.add((X509Certificate) c);
                        }
                    }
                }
            } catch (GeneralSecurityException | ClassCastException e) {
                throw new IllegalArgumentException(file + ": unreadable PKCS#12 entries: " + Reasons.of(e), e);
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(file + ": no readable certificate (expected: PEM, or PKCS#12 "
                    + (password == null ? "whose certificates are not encrypted, or its password)" : "certificates)"));
        }
        return List.copyOf(certificates);
    }

    /** Only the certificate blocks: the JDK's parser trips over other PEM blocks in between. */
    private static byte[] pemCertificates(String text) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN CERTIFICATE-----", at);
            if (begin < 0) {
                break;
            }
            int end = text.indexOf("-----END CERTIFICATE-----", begin);
            if (end < 0) {
                throw new IllegalArgumentException("a certificate block without its END line");
            }
            at = end + "-----END CERTIFICATE-----".length();
            out.append(text, begin, at).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Reads a PKCS#12 store that holds a private key and its certificate chain, for mutual TLS.
     *
     * @throws IllegalArgumentException starting with the file name, saying what is wrong
     */
    public static KeyStore readClientKeys(Path file, char[] password) {
        KeyStore store = pkcs12(file, read(file), password);
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    return store;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + ": unreadable PKCS#12 entries: " + Reasons.of(e), e);
        }
        throw new IllegalArgumentException(file + ": no private key (expected: a PKCS#12 store with the client's key"
                + " and certificate chain)");
    }

    /**
     * Reads a client certificate chain and its private key from PEM files (the form of a Kubernetes TLS
     * secret's {@code tls.crt}, or of cert-manager's output): the key as unencrypted PKCS#8
     * ({@code -----BEGIN PRIVATE KEY-----}), RSA, EC, Ed25519 or Ed448. The key is checked against the
     * first certificate, so a mismatched pair fails here rather than at every handshake.
     *
     * @return a key store with one key entry, its password the empty one
     * @throws IllegalArgumentException starting with the file name, saying what is wrong
     */
    public static KeyStore readClientPem(Path certificates, Path privateKey) {
        List<X509Certificate> chain = readTrusted(certificates, null);
        String text = new String(read(privateKey), StandardCharsets.ISO_8859_1);
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = from < 0 ? -1 : text.indexOf(end, from);
        if (from < 0 || to < 0) {
            String found = text.contains("-----BEGIN RSA PRIVATE KEY-----") ? "a PKCS#1 RSA key"
                    : text.contains("-----BEGIN EC PRIVATE KEY-----") ? "a SEC1 EC key"
                    : text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") ? "an encrypted key" : "no private key";
            throw new IllegalArgumentException(privateKey + ": " + found + " (expected: an unencrypted PKCS#8 key, "
                    + begin + "; convert with openssl pkcs8 -topk8 -nocrypt)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(privateKey + ": the key is not valid base64", e);
        }
        PrivateKey key = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                key = KeyFactory.getInstance(algorithm)
                        .generatePrivate(new PKCS8EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException | RuntimeException notThisOne) {
                // try the next algorithm
            }
        }
        if (key == null) {
            throw new IllegalArgumentException(privateKey + ": not a PKCS#8 RSA, EC, Ed25519 or Ed448 key");
        }
        if (!matches(key, chain.get(0))) {
            throw new IllegalArgumentException(privateKey + ": does not belong to the first certificate of "
                    + certificates);
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("client", key, new char[0], chain.toArray(new X509Certificate[0]));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(privateKey + ": cannot hold the key: " + Reasons.of(e), e);
        }
    }

    /** Whether {@code key} signs what {@code certificate}'s public key verifies; true when untestable. */
    private static boolean matches(PrivateKey key, X509Certificate certificate) {
        String algorithm;
        switch (key.getAlgorithm()) {
            case "RSA": algorithm = "SHA256withRSA"; break;
            case "EC": algorithm = "SHA256withECDSA"; break;
            case "Ed25519": case "Ed448": case "EdDSA": algorithm = key.getAlgorithm(); break;
            default: return true;
        }
        try {
            byte[] nonce = "lb4j probe key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(nonce);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(certificate.getPublicKey());
            verify.update(nonce);
            return verify.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static KeyStore pkcs12(Path file, byte[] bytes, char[] password) {
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            String why = e.getCause() instanceof UnrecoverableKeyException
                    ? "wrong password" : Reasons.of(e);
            throw new IllegalArgumentException(file + ": not a PEM or PKCS#12 file (" + why + ")", e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file", e);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + Reasons.of(e) + ")", e);
        }
    }

    /** A certificate check that failed, with the probe's reason for it. */
    static final class Refused extends CertificateException {
        private static final long serialVersionUID = 1L;

        Refused(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    /**
     * The JDK's trust manager, asked a second time without the name check when it refuses a chain:
     * if the chain alone passes, the name is what failed. Only a failure pays for the second check.
     */
    private static final class Explaining extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager jdk;

        Explaining(X509ExtendedTrustManager jdk) {
            this.jdk = jdk;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            try {
                jdk.checkServerTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                throw explain(chain, authType, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            try {
                jdk.checkServerTrusted(chain, authType, socket);
            } catch (CertificateException e) {
                throw explain(chain, authType, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                jdk.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                throw new Refused(chainReason(e), e);
            }
        }

        private Refused explain(X509Certificate[] chain, String authType, CertificateException e) {
            try {
                jdk.checkServerTrusted(chain, authType);
            } catch (CertificateException chainOnly) {
                return new Refused(chainReason(chainOnly), e);
            }
            return new Refused("tls: hostname mismatch", e);
        }

        private static String chainReason(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof CertificateExpiredException) {
                    return "tls: certificate expired";
                }
                if (t instanceof CertificateNotYetValidException) {
                    return "tls: certificate not yet valid";
                }
                if (t instanceof CertPathValidatorException) {
                    CertPathValidatorException.Reason why = ((CertPathValidatorException) t).getReason();
                    if (why == CertPathValidatorException.BasicReason.EXPIRED) {
                        return "tls: certificate expired";
                    }
                    if (why == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                        return "tls: certificate not yet valid";
                    }
                    if (why == CertPathValidatorException.BasicReason.REVOKED) {
                        return "tls: certificate revoked";
                    }
                }
            }
            return "tls: certificate not trusted";
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            jdk.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            jdk.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            jdk.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return jdk.getAcceptedIssuers();
        }
    }

    /** The insecure switch: any chain, any name. */
    private static final class TrustAnything extends X509ExtendedTrustManager {
        private static final X509Certificate[] NONE = new X509Certificate[0];

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            // trusts anything: the user asked for it by name
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            // trusts anything: the user asked for it by name
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // trusts anything: the user asked for it by name
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a probe is never a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a probe is never a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a probe is never a server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return NONE;
        }
    }
}
