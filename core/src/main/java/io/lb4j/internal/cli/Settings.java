package io.lb4j.internal.cli;

import io.lb4j.Balancer;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeTls;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.probe.TlsClient;
import io.lb4j.internal.registry.AdminOverrides;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What a command line sets: the {@link Balancer.Builder} its rows feed and the runner's own settings
 * (backend sources, the TLS probe's parts, the admin API, the access log), with the rules across
 * options that are the runner's. The option rows call it; the parsed command line reads it.
 */
final class Settings {
    private final Balancer.Builder builder = Balancer.builder();
    private final BackendSources sources = new BackendSources();
    private boolean help;
    private boolean version;
    private boolean accessLog;
    private boolean reusePort;
    // the probe: a TLS one is made once every TLS option is known (they come in any order)
    private boolean probeNone;
    private String tlsKind;
    private String tlsPath;
    private ProbeTls.Builder tls;
    private String tlsGiven;
    private Path clientCertificate;
    private Path clientKey;
    // --rebalance: the bare flag keeps the contract's values
    private Duration rebalanceInterval = Duration.ofSeconds(1);
    private double rebalanceSpread = 0.2;
    private double rebalanceRate = 0.1;
    // run-time admin API
    private InetSocketAddress admin;
    private Path adminTokenFile;
    private String adminToken;
    private AdminOverrides overrides;

    /**
     * The rules across options that are the runner's own, then {@code build()} for the builder's
     * (nothing runs until {@code start()}), so a bad combination is refused before anything starts.
     */
    void finish() {
        if (adminTokenFile != null && admin == null) {
            throw new IllegalArgumentException("--admin-token-file: given without --admin");
        }
        if (admin != null && adminToken == null && !loopback(admin)) {
            throw new IllegalArgumentException("--admin-token-file: required when --admin is not a loopback address ("
                    + admin.getHostString() + ":" + admin.getPort() + " is not; every request then needs "
                    + "Authorization: Bearer TOKEN)");
        }
        finishTlsProbe();
        overrides = sources.feed(builder, admin != null);
        builder.build(); // the builder's checks across settings; nothing runs until start()
    }

    // ---- what the rows call ----

    Balancer.Builder builder() {
        return builder;
    }

    BackendSources sources() {
        return sources;
    }

    void helpAsked() {
        help = true;
    }

    void versionAsked() {
        version = true;
    }

    void accessLogOn() {
        accessLog = true;
    }

    void reusePortOn() {
        builder.reusePort(true);
        reusePort = true;
    }

    /** {@code --probe SPEC}; a later one replaces an earlier one. */
    void probe(String spec) {
        probeNone = spec.equals("none");
        tlsKind = null;
        for (String kind : new String[] {"https:", "wss:"}) {
            if (spec.startsWith(kind + "/")) {
                tlsKind = kind;
                tlsPath = spec.substring(kind.length());
                return;
            }
        }
        if (spec.equals("tcp")) {
            builder.probe(HealthProbe.tcp());
        } else if (probeNone) {
            builder.probe(null);
        } else if (spec.startsWith("http:/")) {
            builder.probe(HealthProbe.http(spec.substring("http:".length())));
        } else if (spec.startsWith("websocket:/")) {
            builder.probe(HealthProbe.webSocket(spec.substring("websocket:".length())));
        } else {
            throw new IllegalArgumentException("--probe: '" + spec
                    + "' (expected: tcp, http:/PATH, websocket:/PATH, https:/PATH, wss:/PATH or none)");
        }
    }

    /** The TLS probes' settings, noting the first TLS option given. */
    ProbeTls.Builder tls(String flag) {
        if (tlsGiven == null) {
            tlsGiven = flag;
        }
        if (tls == null) {
            tls = ProbeTls.builder();
        }
        return tls;
    }

    void clientCertificate(Path chain) {
        tls("--probe-client-cert");
        clientCertificate = chain;
    }

    void clientKey(Path key) {
        tls("--probe-client-key");
        clientKey = key;
    }

    /**
     * The TLS probe, once every option is read; the TLS options without a TLS probe are refused,
     * except with {@code --probe none}, where every probe option is accepted and ignored.
     */
    private void finishTlsProbe() {
        if (tlsKind == null) {
            if (tlsGiven != null && !probeNone) {
                throw new IllegalArgumentException(tlsGiven + ": applies only to TLS probes (expected: --probe "
                        + "https:/PATH or wss:/PATH)");
            }
            return;
        }
        ProbeTls.Builder settings = tls("--probe");
        if (clientCertificate != null && clientKey == null) {
            try {
                TlsClient.readTrusted(clientCertificate, null); // a bad chain is the first thing to say
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--probe-client-cert: " + e.getMessage(), e);
            }
            throw new IllegalArgumentException("--probe-client-cert: given without --probe-client-key");
        }
        if (clientKey != null && clientCertificate == null) {
            throw new IllegalArgumentException("--probe-client-key: given without --probe-client-cert");
        }
        if (clientCertificate != null) {
            try {
                settings.clientCertificate(clientCertificate, clientKey);
            } catch (IllegalArgumentException e) {
                String reason = e.getMessage().substring("clientCertificate: ".length());
                throw new IllegalArgumentException((reason.startsWith(clientKey.toString()) ? "--probe-client-key: "
                        : "--probe-client-cert: ") + reason, e);
            }
        }
        ProbeTls built = settings.build();
        try {
            builder.probe(tlsKind.equals("https:") ? HealthProbe.https(tlsPath, built)
                    : HealthProbe.secureWebSocket(tlsPath, built));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--probe: " + e.getMessage(), e);
        }
    }

    /** {@code N[,burst=M]}: M is N unless given. */
    void acceptRate(String value) {
        int comma = value.indexOf(',');
        int rate = Values.integer("--accept-rate", comma < 0 ? value : value.substring(0, comma), 1, 1_000_000);
        int burst = rate;
        if (comma >= 0) {
            String rest = value.substring(comma + 1);
            if (!rest.startsWith("burst=")) {
                throw new IllegalArgumentException("--accept-rate: '" + value + "' (expected: N or N,burst=M)");
            }
            burst = Values.integer("--accept-rate burst", rest.substring("burst=".length()), 1, 1_000_000);
        }
        builder.acceptRate(rate, burst);
    }

    /** {@code --rebalance [interval=D,spread=F,rate=F]}: each parameter optional, the rest keep their values. */
    void rebalance(String value) {
        if (value != null) {
            String name = "--rebalance";
            boolean[] seen = new boolean[3];
            for (String part : value.split(",", -1)) {
                int eq = part.indexOf('=');
                String key = eq > 0 ? part.substring(0, eq) : part;
                String text = eq > 0 ? part.substring(eq + 1) : null;
                int at = key.equals("interval") ? 0 : key.equals("spread") ? 1 : key.equals("rate") ? 2 : -1;
                if (text == null || (at >= 0 && seen[at])) {
                    throw new IllegalArgumentException(name + ": '" + value + "' (expected: interval=D,spread=F,rate=F, "
                            + "each at most once, any of them)");
                }
                switch (at) {
                    case 0:
                        rebalanceInterval = Values.duration(name + " interval", text, false);
                        break;
                    case 1:
                        rebalanceSpread = Values.fraction(name + " spread", text, 1000);
                        break;
                    case 2:
                        rebalanceRate = Values.fraction(name + " rate", text, 1);
                        break;
                    default:
                        throw new IllegalArgumentException(name + ": '" + part
                                + "' (expected: interval=D, spread=F or rate=F)");
                }
                seen[at] = true;
            }
        }
        builder.rebalance(rebalanceInterval, rebalanceSpread, rebalanceRate);
    }

    void admin(String value) {
        admin = AddressText.parse("--admin", value);
    }

    /** The first line of the token file: visible ASCII, not empty. The token itself is never in a message. */
    void adminTokenFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("--admin-token-file: " + file + ": cannot read ("
                    + (e instanceof NoSuchFileException ? "no such file" : e.getClass().getSimpleName()) + ")");
        }
        int end = text.indexOf('\n');
        String line = (end < 0 ? text : text.substring(0, end)).strip();
        if (line.isEmpty()) {
            throw new IllegalArgumentException("--admin-token-file: " + file + ": the first line is empty "
                    + "(expected: the token)");
        }
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("--admin-token-file: " + file + ": the token has a character "
                        + "other than visible ASCII (expected: letters, digits and punctuation, no spaces)");
            }
        }
        adminTokenFile = file;
        adminToken = line;
    }

    /** Whether {@code address} is a loopback address (a name: every address it resolves to). */
    private static boolean loopback(InetSocketAddress address) {
        if (!address.isUnresolved()) {
            return address.getAddress().isLoopbackAddress();
        }
        try {
            for (InetAddress ip : InetAddress.getAllByName(address.getHostString())) {
                if (!ip.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false; // unknown: not known to be loopback, so a token is required
        }
    }

    // ---- what the runner reads ----

    boolean help() {
        return help;
    }

    boolean version() {
        return version;
    }

    boolean accessLog() {
        return accessLog;
    }

    boolean reusePort() {
        return reusePort;
    }

    /** The admin API's address, or {@code null} when off. */
    InetSocketAddress admin() {
        return admin;
    }

    /** The admin token, or {@code null} for none; never printed. */
    String adminToken() {
        return adminToken;
    }

    /** The registry the admin API changes, or {@code null} without {@code --admin}. */
    AdminOverrides overrides() {
        return overrides;
    }

    Duration rebalanceInterval() {
        return rebalanceInterval;
    }

    double rebalanceSpread() {
        return rebalanceSpread;
    }

    double rebalanceRate() {
        return rebalanceRate;
    }
}
