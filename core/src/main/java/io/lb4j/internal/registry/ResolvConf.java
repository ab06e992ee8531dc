package io.lb4j.internal.registry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What {@code /etc/resolv.conf} tells a stub resolver, read as glibc reads it (resolv.conf(5)): up to
 * three {@code nameserver}s tried in order, the {@code search} list (or {@code domain}, the last of
 * the two winning), and the options {@code ndots} (default 1, at most 15), {@code timeout} (seconds
 * per try, default 5, at most 30) and {@code attempts} (rounds over the servers, default 2, at most
 * 5). The environment's {@code LOCALDOMAIN} replaces the search list and {@code RES_OPTIONS} adds
 * options, as for the system resolver. Kubernetes pods depend on this: their short service names
 * ({@code ws-backend}, {@code ws-backend.prod}) resolve only through the search list.
 *
 * @param servers where queries go, in order (port 53 unless a test says otherwise)
 * @param search domains appended to a name with fewer than {@code ndots} dots, tried before it as is
 * @param ndots dots a name needs to be tried as is first
 * @param timeoutNs per try
 * @param attempts rounds over the servers
 */
public record ResolvConf(List<InetSocketAddress> servers, List<String> search, int ndots, long timeoutNs,
                         int attempts) {
    /** glibc's MAXNS: later nameserver lines are ignored. */
    static final int MAX_SERVERS = 3;
    private static final Path FILE = Path.of("/etc/resolv.conf");

    /** Copies the lists; at least one server, and sane numbers. */
    public ResolvConf {
        servers = List.copyOf(servers);
        search = List.copyOf(search);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("resolv.conf: no nameserver");
        }
        if (ndots < 0 || timeoutNs <= 0 || attempts < 1) {
            throw new IllegalArgumentException("resolv.conf: ndots " + ndots + ", timeout " + timeoutNs
                    + " ns, attempts " + attempts);
        }
    }

    /** The system's: {@code /etc/resolv.conf} and the environment, or glibc's defaults without the file. */
    public static ResolvConf system() {
        String text;
        try {
            text = Files.readString(FILE);
        } catch (IOException | RuntimeException e) {
            text = ""; // glibc's defaults: the local server, no search list
        }
        return parse(text, System.getenv());
    }

    /** This configuration with {@code server} as its only nameserver (an explicit {@code --dns-server}). */
    public ResolvConf withServer(InetSocketAddress server) {
        return new ResolvConf(List.of(server), search, ndots, timeoutNs, attempts);
    }

    /** Parses resolv.conf text; {@code env} may hold {@code LOCALDOMAIN} and {@code RES_OPTIONS}. */
    static ResolvConf parse(String text, Map<String, String> env) {
        List<InetSocketAddress> servers = new ArrayList<>();
        List<String> search = List.of();
        int[] options = {1, 5, 2}; // ndots, timeout, attempts
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            String[] f = line.split("\\s+");
            switch (f[0]) {
                case "nameserver":
                    if (f.length >= 2 && servers.size() < MAX_SERVERS) {
                        InetSocketAddress server = server(f[1]);
                        if (server != null) {
                            servers.add(server);
                        }
                    }
                    break;
                case "domain":
                    search = f.length >= 2 ? List.of(trimDot(f[1])) : List.of();
                    break;
                case "search":
                    search = domains(f, 1);
                    break;
                case "options":
                    for (int i = 1; i < f.length; i++) {
                        option(f[i], options);
                    }
                    break;
                default:
                    // sortlist and unknown keywords do not change lookups here
            }
        }
        String localDomain = env.get("LOCALDOMAIN");
        if (localDomain != null) {
            search = domains(localDomain.strip().split("\\s+"), 0);
        }
        String resOptions = env.get("RES_OPTIONS");
        if (resOptions != null) {
            for (String option : resOptions.strip().split("\\s+")) {
                option(option, options);
            }
        }
        if (servers.isEmpty()) {
            servers.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        }
        return new ResolvConf(servers, search, options[0], TimeUnit.SECONDS.toNanos(options[1]), options[2]);
    }

    private static InetSocketAddress server(String text) {
        int percent = text.indexOf('%'); // fe80::1%eth0: the JDK takes no scope by name here
        String host = percent >= 0 ? text.substring(0, percent) : text;
        if (!host.matches("[0-9A-Fa-f:.]+")) {
            return null; // not an IP literal: glibc ignores it too, and it must never cost a lookup
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), 53);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static List<String> domains(String[] fields, int from) {
        List<String> domains = new ArrayList<>();
        for (int i = from; i < fields.length && domains.size() < 32; i++) {
            String d = trimDot(fields[i]);
            if (!d.isEmpty() && !domains.contains(d)) {
                domains.add(d);
            }
        }
        return domains;
    }

    private static String trimDot(String domain) {
        return domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    }

    private static void option(String option, int[] options) {
        int colon = option.indexOf(':');
        if (colon < 0) {
            return; // rotate, edns0, single-request and the like: no effect here
        }
        String name = option.substring(0, colon);
        int value;
        try {
            value = Integer.parseInt(option.substring(colon + 1));
        } catch (NumberFormatException e) {
            return;
        }
        switch (name) {
            case "ndots": options[0] = Math.max(0, Math.min(15, value)); break;
            case "timeout": options[1] = Math.max(1, Math.min(30, value)); break;
            case "attempts": options[2] = Math.max(1, Math.min(5, value)); break;
            default: // other options do not change lookups here
        }
    }

    /**
     * The names a lookup of {@code name} tries, in order: a name ending in a dot only as it is; one
     * with at least {@code ndots} dots as it is first, then with each search domain; else with each
     * search domain first, then as it is.
     */
    public List<String> candidates(String name) {
        if (name.endsWith(".")) {
            return List.of(name.substring(0, name.length() - 1));
        }
        long dots = name.chars().filter(c -> c == '.').count();
        List<String> names = new ArrayList<>();
        if (dots >= ndots) {
            names.add(name);
        }
        for (String domain : search) {
            names.add(name + "." + domain);
        }
        if (dots < ndots) {
            names.add(name);
        }
        return names;
    }
}
