package io.lb4j.internal.relay;

import io.lb4j.Backend;
import io.lb4j.Connection;
import io.lb4j.ProxyTlvs;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The one implementation of {@link Connection}: figures copied from a pair on its own loop, plus the
 * pair itself so the host can tag or close it later. Copying on the loop is what makes the figures
 * consistent without any lock or volatile on the relay's counters.
 */
public final class PairHandle implements Connection {
    private final ConnectionPair pair;
    private final InetSocketAddress client;
    private final InetSocketAddress frontend;
    private final Backend backend;
    private final long openedNs;
    private final long ageNs;
    private final long idleNs;
    private final long bytesToBackend;
    private final long bytesToClient;
    private final String tag;
    private final ProxyTlvs proxyTlvs;

    private PairHandle(ConnectionPair pair) {
        long now = pair.loop().nowNs();
        this.pair = pair;
        this.client = pair.client();
        this.frontend = pair.frontend();
        this.backend = pair.backend().backend();
        this.openedNs = pair.openedNs();
        this.ageNs = now - pair.openedNs();
        this.idleNs = now - pair.lastActivityNs();
        this.bytesToBackend = pair.bytesToBackend();
        this.bytesToClient = pair.bytesToClient();
        this.tag = pair.tag();
        this.proxyTlvs = pair.proxyTlvs();
    }

    /** A snapshot of {@code pair}; on its loop. */
    public static PairHandle of(ConnectionPair pair) {
        return new PairHandle(pair);
    }

    /** The live pair. */
    public ConnectionPair pair() {
        return pair;
    }

    /** When the client was accepted (its loop's clock, {@link System#nanoTime()}): orders handles oldest first. */
    public long openedNs() {
        return openedNs;
    }

    @Override
    public InetSocketAddress client() {
        return client;
    }

    @Override
    public InetSocketAddress frontend() {
        return frontend;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Duration age() {
        return Duration.ofNanos(ageNs);
    }

    @Override
    public Duration idle() {
        return Duration.ofNanos(idleNs);
    }

    @Override
    public long bytesToBackend() {
        return bytesToBackend;
    }

    @Override
    public long bytesToClient() {
        return bytesToClient;
    }

    @Override
    public ProxyTlvs proxyTlvs() {
        return proxyTlvs;
    }

    @Override
    public String tag() {
        return tag;
    }

    @Override
    public void tag(String value) {
        pair.tag(value);
    }

    @Override
    public CompletionStage<Boolean> close(String reason) {
        Objects.requireNonNull(reason, "reason");
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        if (pair.loop().terminated().isDone()) {
            done.complete(false);
            return done;
        }
        pair.loop().execute(() -> {
            boolean open = pair.relaying();
            if (open) {
                pair.close(false, "closed by host: " + reason);
            }
            done.complete(open);
        });
        // a loop that stops before running the task has closed the pair itself
        pair.loop().terminated().whenComplete((v, e) -> done.complete(false));
        return done;
    }

    @Override
    public String toString() {
        return "Connection[" + client + " -> " + backend.name() + ", age " + age() + ", tag " + tag + "]";
    }
}
