package io.lb4j.internal.cli;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.registry.AdminOverrides;
import io.lb4j.internal.registry.CompositeRegistry;
import io.lb4j.internal.registry.FileRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where the runner's backends come from: {@code --backend}, {@code --backends-file},
 * {@code --backends-dns} and {@code --backends-srv} in any mix, combined into the builder's one
 * registry (their union, in that order of precedence), under the admin API's overrides when
 * {@code --admin} is given.
 */
final class BackendSources {
    private final List<Backend> backends = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final List<String> dnsNames = new ArrayList<>();
    private final List<Integer> dnsPorts = new ArrayList<>();
    private final List<String> srvNames = new ArrayList<>();
    private InetSocketAddress dnsServer;

    /** {@code HOST:PORT[,weight=N][,max-connections=N]}; {@link Backend} checks each part. */
    void backend(String value) {
        String[] parts = value.split(",", -1);
        Backend b = Backend.parse(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            if (part.startsWith("weight=")) {
                b = b.withWeight(Values.integer("--backend weight", part.substring("weight=".length())));
            } else if (part.startsWith("max-connections=")) {
                b = b.withMaxConnections(Values.integer("--backend max-connections",
                        part.substring("max-connections=".length())));
            } else {
                throw new IllegalArgumentException("--backend: '" + value
                        + "' (expected: HOST:PORT[,weight=N][,max-connections=N])");
            }
        }
        backends.add(b);
    }

    /** A backends file, read now: a missing or bad file is a bad option, not a failure at start. */
    void file(String value) {
        Path file = Path.of(value);
        FileRegistry.read(file);
        files.add(file);
    }

    /** {@code NAME:PORT}; the name is checked when the registry is made. */
    void dns(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--backends-dns: '" + value + "' (expected: NAME:PORT)");
        }
        dnsPorts.add(Values.integer("--backends-dns port", value.substring(colon + 1), 1, 65535));
        dnsNames.add(value.substring(0, colon));
    }

    /** An SRV name; checked when the registry is made. */
    void srv(String value) {
        srvNames.add(value);
    }

    /** The resolver of the DNS sources: resolved at start, so an unknown host fails start (exit 1). */
    void dnsServer(String value) {
        InetSocketAddress parsed = AddressText.parse("--dns-server", value);
        if (parsed.getPort() == 0) {
            throw new IllegalArgumentException("--dns-server: '" + value + "' (expected: HOST:PORT with PORT 1-65535)");
        }
        dnsServer = InetSocketAddress.createUnresolved(parsed.getHostString(), parsed.getPort());
    }

    /**
     * Gives {@code builder} the backends: the {@code --backend} list itself when it is the only source
     * and there is no admin API, else one registry of every source.
     *
     * @return the admin API's overrides when {@code admin}, else {@code null}
     * @throws IllegalArgumentException naming the option when no source is given or one is bad
     */
    AdminOverrides feed(Balancer.Builder builder, boolean admin) {
        if (backends.isEmpty() && files.isEmpty() && dnsNames.isEmpty() && srvNames.isEmpty()) {
            throw new IllegalArgumentException("--backend: required (at least one backend source: --backend, "
                    + "--backends-file, --backends-dns or --backends-srv)");
        }
        if (!admin && files.isEmpty() && dnsNames.isEmpty() && srvNames.isEmpty()) {
            builder.backends(backends);
            return null;
        }
        List<BackendRegistry> sources = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        if (!backends.isEmpty()) {
            sources.add(BackendRegistry.fixed(backends));
            labels.add("cli");
        }
        for (Path f : files) {
            sources.add(BackendRegistry.file(f));
            labels.add("file");
        }
        for (int i = 0; i < dnsNames.size(); i++) {
            String name = dnsNames.get(i);
            int port = dnsPorts.get(i);
            sources.add(named("--backends-dns", () -> BackendRegistry.dns(name, port, dnsServer)));
            labels.add("dns");
        }
        for (String name : srvNames) {
            sources.add(named("--backends-srv", () -> BackendRegistry.dnsSrv(name, dnsServer)));
            labels.add("dns");
        }
        CompositeRegistry union = new CompositeRegistry(sources, labels);
        if (admin) {
            AdminOverrides overrides = new AdminOverrides(union, union::source);
            builder.registry(overrides);
            return overrides;
        }
        builder.registry(sources.size() == 1 ? sources.get(0) : union);
        return null;
    }

    /** {@code make}'s registry, its refusal named as {@code flag}'s. */
    private static BackendRegistry named(String flag, Supplier<BackendRegistry> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
    }
}
