package io.lb4j.internal.engine;

import io.lb4j.internal.AddressText;
import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.relay.Acceptor;
import io.lb4j.internal.relay.Frontend;
import io.lb4j.internal.relay.ConnectionPair.RelayContext;
import io.lb4j.internal.relay.ReusePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The relay's listening side: one {@link Frontend} per listen address, and its {@link Acceptor}s, one
 * per loop when the kernel spreads new connections with {@code SO_REUSEPORT}, else one. Bound during
 * {@code start()}; read by any thread (stats, addresses), so the lists are guarded by this.
 */
final class Listeners {
    private static final int BACKLOG = 1024;

    private final Faults faults;
    private final List<Frontend> frontends = new ArrayList<>();
    private final List<Acceptor> acceptors = new ArrayList<>();

    Listeners(Faults faults) {
        this.faults = faults;
    }

    /**
     * Binds {@code requested} for {@code loops}. With {@code shared} ({@code reusePort(true)}) every
     * listener is bound with {@code SO_REUSEPORT} and no plain bind, so a predecessor or successor shares
     * the address; else a plain bind first, so that an address another process holds fails here.
     *
     * @throws UncheckedIOException naming the address when it cannot be resolved or bound
     */
    void bind(RelayContext relay, EventLoop[] loops, InetSocketAddress requested, boolean shared) {
        InetSocketAddress address;
        try {
            address = requested.isUnresolved()
                    ? new InetSocketAddress(InetAddress.getByName(requested.getHostString()), requested.getPort())
                    : requested;
        } catch (UnknownHostException e) {
            throw new UncheckedIOException("listen " + requested.getHostString() + ":" + requested.getPort()
                    + ": unknown host", e);
        }
        List<ServerSocketChannel> channels = new ArrayList<>();
        try {
            InetSocketAddress bound;
            if (shared) {
                bound = address;
            } else {
                ServerSocketChannel first = ServerSocketChannel.open();
                channels.add(first);
                first.bind(address, BACKLOG);
                bound = (InetSocketAddress) first.getLocalAddress();
            }
            boolean reusePort = shared || loops.length > 1
                    && channels.get(0).supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
            if (reusePort) {
                // one listener per loop: the kernel spreads new connections across them
                for (ServerSocketChannel first : channels) {
                    first.close();
                }
                channels.clear();
                for (int i = 0; i < loops.length; i++) {
                    ServerSocketChannel channel = ServerSocketChannel.open();
                    channels.add(channel);
                    if (!channel.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
                        throw new IOException("SO_REUSEPORT is not supported here (reusePort needs it)");
                    }
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                    channel.bind(bound, BACKLOG);
                }
            }
            Frontend frontend = new Frontend(bound, loops.length, faults);
            synchronized (this) {
                frontends.add(frontend);
            }
            for (int i = 0; i < channels.size(); i++) {
                ServerSocketChannel channel = channels.get(i);
                channel.configureBlocking(false);
                Acceptor acceptor = new Acceptor(relay, loops[i], frontend, channel);
                synchronized (this) {
                    acceptors.add(acceptor);
                }
                relay.admission().register(acceptor);
            }
        } catch (IOException e) {
            for (ServerSocketChannel channel : channels) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // failing already
                }
            }
            throw new UncheckedIOException("listen " + AddressText.format(address) + ": " + e.getMessage(), e);
        }
    }

    /** The frontends bound so far, in the order given. */
    synchronized List<Frontend> frontends() {
        return List.copyOf(frontends);
    }

    /** The acceptors bound so far. */
    synchronized List<Acceptor> acceptors() {
        return List.copyOf(acceptors);
    }

    /** The bound addresses, with real ports, in the order given. */
    synchronized List<InetSocketAddress> addresses() {
        List<InetSocketAddress> result = new ArrayList<>();
        for (Frontend f : frontends) {
            result.add(f.address());
        }
        return List.copyOf(result);
    }

    /** Starts accepting, each acceptor on its loop; the futures complete once they accept. */
    List<CompletableFuture<Void>> register() {
        List<CompletableFuture<Void>> registered = new ArrayList<>();
        for (Acceptor acceptor : acceptors()) {
            registered.add(LoopTasks.register(acceptor.loop(), acceptor::register));
        }
        return registered;
    }

    /** Stops accepting (a drain begins), each acceptor on its loop. */
    void stop(List<CompletableFuture<Void>> stopped) {
        for (Acceptor acceptor : acceptors()) {
            stopped.add(LoopTasks.onLoop(acceptor.loop(), acceptor::stop));
        }
    }

    /**
     * Closes every listener after accepting what its backlog holds (see {@link Acceptor#handOver()});
     * waits up to 5 s and returns how many clients were taken that way.
     */
    int handOver() {
        List<CompletableFuture<Integer>> closed = new ArrayList<>();
        for (Acceptor acceptor : acceptors()) {
            CompletableFuture<Integer> taken = new CompletableFuture<>();
            acceptor.loop().execute(() -> taken.complete(acceptor.handOver()));
            acceptor.loop().terminated().whenComplete((v, e) -> taken.complete(0));
            closed.add(taken);
        }
        LoopTasks.joinQuietly(CompletableFuture.allOf(closed.toArray(new CompletableFuture<?>[0])), 5_000);
        int taken = 0;
        for (CompletableFuture<Integer> c : closed) {
            taken += c.getNow(0);
        }
        return taken;
    }

    /**
     * Before a hand-over: every frontend's address has listeners beyond this balancer's
     * {@code ownListeners} (a successor bound it with {@code SO_REUSEPORT}), as far as {@code /proc} tells.
     *
     * @throws IllegalStateException naming the first address no successor listens on
     */
    void requireSuccessors(int ownListeners) {
        for (Frontend frontend : frontends()) {
            int listening = ReusePort.listeners(frontend.address());
            if (listening >= 0 && listening <= ownListeners) {
                throw new IllegalStateException("handOver: no successor listens on "
                        + AddressText.format(frontend.address()) + " (expected: a balancer with reusePort on "
                        + "the same address, started before the hand-over; this one goes on accepting)");
            }
        }
    }

    /** Closes listeners that were bound but never registered (a start that failed): no loop closes them. */
    void closeUnregistered() {
        for (Acceptor acceptor : acceptors()) {
            acceptor.closeUnregistered();
        }
    }

    /** Listening sockets of the relay (one per listen address and loop with {@code SO_REUSEPORT}). */
    synchronized int count() {
        return acceptors.size();
    }
}
