package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link BackendRegistry#dns} and {@link BackendRegistry#dnsSrv}: members looked up through a
 * {@link DnsResolver} and looked up again when the answer's shortest TTL runs out. A failed lookup
 * leaves the last good set in force and is retried with doubling backoff, because a resolver hiccup
 * must never empty a pool.
 */
public final class DnsRegistry implements BackendRegistry {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    /** Refresh never more often than this, whatever the TTL (the CLI contract's 1 s floor). */
    static final long MIN_REFRESH_MS = 1_000;
    /** Refresh at least this often, whatever the TTL. */
    static final long MAX_REFRESH_MS = 300_000;
    /** Longest wait between retries of a failing lookup. */
    static final long MAX_BACKOFF_MS = 30_000;
    /** The least time start() waits for the first answer. */
    private static final long MIN_FIRST_ANSWER_MS = 5_000;
    /** The most: a resolv.conf of silent servers must not hold start() for minutes. */
    private static final long MAX_FIRST_ANSWER_MS = 60_000;

    /** What a lookup found: members and the TTL they may be cached for. */
    record Answer(List<Backend> backends, long ttlSeconds) {
    }

    private final String name;
    /** The name ended in a dot: no search list. */
    private final boolean absolute;
    private final int port; // 0 for SRV
    private final InetSocketAddress configuredServer;
    /** Set for tests; else the system's resolv.conf, read at start. */
    private final ResolvConf configured;
    private ResolvConf conf;
    private long firstAnswerMs = MIN_FIRST_ANSWER_MS;
    private DnsResolver resolver;
    private ScheduledExecutorService timer;
    private Consumer<List<Backend>> sink;
    private List<Backend> last;
    private long backoffMs;
    private volatile boolean closed;

    private DnsRegistry(String name, int port, InetSocketAddress server, ResolvConf resolvConf) {
        this.name = checkName(name);
        this.absolute = name.endsWith(".");
        this.port = port;
        this.configuredServer = server;
        this.configured = resolvConf;
    }

    private DnsRegistry(String name, int port, InetSocketAddress server) {
        this(name, port, server, null);
    }

    /** A and AAAA records of {@code name}, each with {@code port}. */
    public static DnsRegistry addresses(String name, int port, InetSocketAddress server) {
        return new DnsRegistry(name, port, server);
    }

    /** As {@link #addresses(String, int, InetSocketAddress)} with a resolv.conf of the caller's (tests). */
    static DnsRegistry addresses(String name, int port, ResolvConf resolvConf) {
        return new DnsRegistry(name, port, null, resolvConf);
    }

    /** As {@link #srv(String, InetSocketAddress)} with a resolv.conf of the caller's (tests). */
    static DnsRegistry srv(String name, ResolvConf resolvConf) {
        return new DnsRegistry(name, 0, null, resolvConf);
    }

    /** SRV records of {@code name}. */
    public static DnsRegistry srv(String name, InetSocketAddress server) {
        return new DnsRegistry(name, 0, server);
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        try {
            new DnsMessage.Question(n, DnsMessage.A, DnsMessage.IN);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("dns name: '" + name + "' (expected: a DNS name)");
        }
        if (n.isEmpty()) {
            throw new IllegalArgumentException("dns name: '" + name + "' (expected: a DNS name)");
        }
        return n;
    }

    @Override
    public void start(Consumer<List<Backend>> snapshotSink) {
        ResolvConf base = configured != null ? configured : ResolvConf.system();
        InetSocketAddress server = configuredServer;
        if (server != null && server.isUnresolved()) {
            InetSocketAddress resolved = new InetSocketAddress(server.getHostString(), server.getPort());
            if (resolved.isUnresolved()) {
                throw new UncheckedIOException("dns server " + server.getHostString() + ":" + server.getPort()
                        + ": unknown host", new UnknownHostException(server.getHostString()));
            }
            server = resolved;
        }
        conf = server != null ? base.withServer(server) : base;
        // every try of every candidate name may time out before an answer comes
        long worstMs = TimeUnit.NANOSECONDS.toMillis(conf.timeoutNs()) * conf.attempts() * conf.servers().size()
                * candidates(name).size() + 1_000;
        firstAnswerMs = Math.max(MIN_FIRST_ANSWER_MS, Math.min(MAX_FIRST_ANSWER_MS, worstMs));
        try {
            resolver = new DnsResolver(conf.servers(), conf.timeoutNs(), conf.attempts());
        } catch (IOException e) {
            throw new UncheckedIOException("dns " + what() + ": cannot open a resolver: " + e.getMessage(), e);
        }
        Answer first;
        try {
            first = lookup().get(firstAnswerMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            resolver.close();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new UncheckedIOException("dns " + what() + " via " + servers() + ": " + describe(cause),
                    new IOException(cause));
        } catch (InterruptedException e) {
            resolver.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("start: interrupted during the first DNS lookup", e);
        }
        synchronized (this) {
            sink = snapshotSink;
            last = first.backends();
            sink.accept(last);
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lb4j-dns-registry");
                t.setDaemon(true);
                return t;
            });
            schedule(refreshMs(first.ttlSeconds()));
        }
    }

    /** How long until the next lookup for an answer with {@code ttlSeconds}. */
    static long refreshMs(long ttlSeconds) {
        return Math.max(MIN_REFRESH_MS, Math.min(MAX_REFRESH_MS, ttlSeconds * 1_000));
    }

    private synchronized void schedule(long delayMs) {
        if (!closed) {
            timer.schedule(this::refresh, delayMs, TimeUnit.MILLISECONDS);
        }
    }

    private void refresh() {
        lookup().whenComplete((answer, failure) -> {
            synchronized (this) {
                if (closed) {
                    return;
                }
                if (failure != null) {
                    backoffMs = backoffMs == 0 ? MIN_REFRESH_MS : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    LOG.log(backoffMs == MIN_REFRESH_MS ? Level.WARNING : Level.DEBUG, () -> "dns " + what() + ": "
                            + describe(cause) + "; keeping the last " + last.size() + " backends, retrying in "
                            + backoffMs + " ms");
                    schedule(backoffMs);
                    return;
                }
                backoffMs = 0;
                if (!answer.backends().equals(last)) {
                    last = answer.backends();
                    sink.accept(last);
                }
                schedule(refreshMs(answer.ttlSeconds()));
            }
        });
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (timer != null) {
                timer.shutdownNow();
            }
        }
        if (resolver != null) {
            resolver.close();
        }
    }

    private String what() {
        return port == 0 ? "SRV " + name : name + ":" + port;
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private String servers() {
        StringBuilder text = new StringBuilder();
        for (InetSocketAddress server : conf.servers()) {
            text.append(text.length() == 0 ? "" : ", ").append(hostPort(server));
        }
        return text.toString();
    }

    private String describe(Throwable t) {
        if (t instanceof TimeoutException) {
            return "no answer within " + firstAnswerMs + " ms";
        }
        String m = t.getMessage();
        return m != null ? m : t.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- lookups

    /** One full lookup, completed on the resolver's thread. */
    CompletableFuture<Answer> lookup() {
        if (port != 0) {
            return search(candidates(name), 0, null, this::addressesOf).thenApply(found -> {
                Map<String, Backend> backends = new LinkedHashMap<>();
                for (InetAddress a : found.addresses()) {
                    Backend b = Backend.of(a.getHostAddress(), port);
                    backends.putIfAbsent(b.name(), b);
                }
                return answer(backends, found.ttlSeconds());
            });
        }
        return search(candidates(name), 0, null, srvName -> resolver.query(srvName, DnsMessage.SRV)
                .thenApply(message -> {
                    check(message, srvName, "SRV");
                    if (message.answers().stream().noneMatch(r -> r.type() == DnsMessage.SRV)) {
                        throw new CompletionException(new NotFound("no SRV records for " + srvName));
                    }
                    return message;
                })).thenCompose(message -> {
            List<DnsMessage.Record> srvs = new ArrayList<>();
            int lowest = Integer.MAX_VALUE;
            long ttl = Long.MAX_VALUE;
            for (DnsMessage.Record r : message.answers()) {
                if (r.type() == DnsMessage.SRV && !((DnsMessage.Srv) r.data()).target().isEmpty()) {
                    srvs.add(r);
                    lowest = Math.min(lowest, ((DnsMessage.Srv) r.data()).priority());
                }
            }
            if (srvs.isEmpty()) {
                throw new CompletionException(new NotFound("no SRV records for " + name));
            }
            List<CompletableFuture<Found>> targets = new ArrayList<>();
            List<DnsMessage.Srv> chosen = new ArrayList<>();
            for (DnsMessage.Record r : srvs) {
                DnsMessage.Srv srv = (DnsMessage.Srv) r.data();
                if (srv.priority() != lowest) {
                    continue;
                }
                ttl = Math.min(ttl, r.ttl());
                chosen.add(srv);
                Found inline = additional(message, srv.target());
                // a target is a full name (RFC 2782): no search list
                targets.add(inline != null ? CompletableFuture.completedFuture(inline) : addressesOf(srv.target()));
            }
            long srvTtl = ttl;
            return CompletableFuture.allOf(targets.toArray(new CompletableFuture<?>[0])).thenApply(done -> {
                Map<String, Backend> backends = new LinkedHashMap<>();
                long minTtl = srvTtl;
                for (int i = 0; i < chosen.size(); i++) {
                    DnsMessage.Srv srv = chosen.get(i);
                    Found found = targets.get(i).join();
                    minTtl = Math.min(minTtl, found.ttlSeconds());
                    int weight = Math.max(1, Math.min(Backend.MAX_WEIGHT, srv.weight()));
                    for (InetAddress a : found.addresses()) {
                        Backend b = new Backend(a.getHostAddress(), srv.port(), weight, 0, Backend.AdminState.UP);
                        backends.putIfAbsent(b.name(), b);
                    }
                }
                return answer(backends, minTtl);
            });
        });
    }

    private static Answer answer(Map<String, Backend> backends, long ttlSeconds) {
        List<Backend> list = new ArrayList<>(backends.values());
        list.sort(Comparator.comparing(Backend::name));
        return new Answer(List.copyOf(list), ttlSeconds);
    }

    /** Addresses of a name and their shortest TTL. */
    record Found(List<InetAddress> addresses, long ttlSeconds) {
    }

    private static Found additional(DnsMessage message, String target) {
        List<InetAddress> addresses = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (DnsMessage.Record r : message.additionals()) {
            if ((r.type() == DnsMessage.A || r.type() == DnsMessage.AAAA) && r.name().equalsIgnoreCase(target)) {
                addresses.add(((DnsMessage.Address) r.data()).address());
                ttl = Math.min(ttl, r.ttl());
            }
        }
        return addresses.isEmpty() ? null : new Found(addresses, ttl);
    }

    /**
     * A and AAAA of {@code host}, asked at once. Fails when either query gets no answer (a half
     * answer must not drop the other family's members) or neither has addresses; an error code for
     * one family counts as "none of that family", since many servers refuse AAAA for IPv4-only names.
     */
    private CompletableFuture<Found> addressesOf(String host) {
        CompletableFuture<DnsMessage> a = resolver.query(host, DnsMessage.A);
        CompletableFuture<DnsMessage> aaaa = resolver.query(host, DnsMessage.AAAA);
        return a.thenCombine(aaaa, (four, six) -> {
            List<InetAddress> addresses = new ArrayList<>();
            long ttl = Long.MAX_VALUE;
            for (DnsMessage message : List.of(four, six)) {
                if (message.rcode() != DnsMessage.NOERROR) {
                    continue;
                }
                for (DnsMessage.Record r : message.answers()) {
                    if (r.type() == DnsMessage.A || r.type() == DnsMessage.AAAA) {
                        addresses.add(((DnsMessage.Address) r.data()).address());
                        ttl = Math.min(ttl, r.ttl());
                    }
                }
            }
            if (addresses.isEmpty()) {
                check(four, host, "A");
                check(six, host, "AAAA");
                throw new CompletionException(new NotFound("no A or AAAA records for " + host));
            }
            return new Found(addresses, ttl);
        });
    }

    private static void check(DnsMessage message, String host, String type) {
        if (message.rcode() == DnsMessage.NXDOMAIN) {
            throw new CompletionException(new NotFound(type + " " + host + ": NXDOMAIN"));
        }
        if (message.rcode() != DnsMessage.NOERROR) {
            String code = message.rcode() == 2 ? "SERVFAIL" : message.rcode() == 5 ? "REFUSED" : "RCODE " + message.rcode();
            throw new CompletionException(new IOException(type + " " + host + ": " + code));
        }
    }

    /** The name does not exist, or has no records of the type: the next name of the search list may. */
    static final class NotFound extends IOException {
        private static final long serialVersionUID = 1L;

        NotFound(String message) {
            super(message);
        }
    }

    /** The names to try for {@code lookedUp}, per the search list and ndots (just the name when absolute). */
    private List<String> candidates(String lookedUp) {
        ResolvConf c = conf != null ? conf : configured;
        if (absolute || c == null) {
            return List.of(lookedUp);
        }
        List<String> names = new ArrayList<>();
        for (String candidate : c.candidates(lookedUp)) {
            if (candidate.length() <= 253) {
                names.add(candidate);
            }
        }
        return names.isEmpty() ? List.of(lookedUp) : names;
    }

    /**
     * Looks up {@code names[i]}, then the next while the answer is "not found", as the system resolver
     * walks its search list; any other failure (no answer, SERVFAIL) ends the search, so that a
     * resolver hiccup never answers with another name's records. The last "not found" names every
     * name tried.
     */
    private <T> CompletableFuture<T> search(List<String> names, int i, NotFound notFound,
                                            Function<String, CompletableFuture<T>> lookup) {
        if (i == names.size()) {
            String tried = names.size() == 1 ? "" : " (tried " + String.join(", ", names) + ")";
            return CompletableFuture.failedFuture(new NotFound(notFound.getMessage() + tried));
        }
        return lookup.apply(names.get(i)).handle((found, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(found);
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof NotFound) {
                return search(names, i + 1, (NotFound) cause, lookup);
            }
            return CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(Function.identity());
    }
}
