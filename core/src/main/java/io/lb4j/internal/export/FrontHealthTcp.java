package io.lb4j.internal.export;

import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.AcceptBackoff;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Handler;
import io.lb4j.internal.loop.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.BooleanSupplier;

/**
 * The front-door health endpoint in TCP mode, for front balancers whose probe is a TCP connect (Azure
 * Load Balancer's TCP probe, ECMP routers): the listener is open only while lb4j is healthy and closed
 * otherwise, so the probe's connect is refused. Re-checked every {@value #CHECK_MS} ms on one of the
 * engine's loops; accepted probe connections are closed at once.
 */
public final class FrontHealthTcp extends Timer implements Handler {
    static final long CHECK_MS = 100;
    private static final int ACCEPTS_PER_EVENT = 16;

    private final EventLoop loop;
    private final InetSocketAddress address;
    private final BooleanSupplier healthy;
    private final Faults faults;
    private final AcceptBackoff backoff;
    private ServerSocketChannel server;
    private SelectionKey key;
    private boolean stopped;
    private boolean reusePort;

    private FrontHealthTcp(EventLoop loop, ServerSocketChannel server, InetSocketAddress address,
                           BooleanSupplier healthy, Faults faults) {
        this.loop = loop;
        this.server = server;
        this.address = address;
        this.healthy = healthy;
        this.faults = faults;
        this.backoff = new AcceptBackoff(loop, () -> {
            if (key != null && key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        });
    }

    /**
     * Binds {@code requested} (a plain bind: an address in use fails here, and port 0 is fixed now,
     * so reopening uses the same port); call {@link #register()} on the loop to start.
     *
     * @throws UncheckedIOException naming the address when it cannot be bound
     */
    public static FrontHealthTcp bind(InetSocketAddress requested, EventLoop loop, BooleanSupplier healthy,
                                      Faults faults) {
        return bind(requested, loop, healthy, faults, false);
    }

    /**
     * As {@link #bind(InetSocketAddress, EventLoop, BooleanSupplier, Faults)}; with {@code reusePort}
     * bound (and reopened) with {@code SO_REUSEPORT}, so that a successor in a hand-over can bind it too.
     */
    public static FrontHealthTcp bind(InetSocketAddress requested, EventLoop loop, BooleanSupplier healthy,
                                      Faults faults, boolean reusePort) {
        ServerSocketChannel channel = null;
        try {
            InetSocketAddress address = requested.isUnresolved()
                    ? new InetSocketAddress(InetAddress.getByName(requested.getHostString()), requested.getPort())
                    : requested;
            channel = open(address, reusePort);
            FrontHealthTcp front = new FrontHealthTcp(loop, channel, (InetSocketAddress) channel.getLocalAddress(),
                    healthy, faults);
            front.reusePort = reusePort;
            return front;
        } catch (IOException e) {
            if (channel != null) {
                closeQuietly(channel);
            }
            throw new UncheckedIOException("front-health " + requested.getHostString() + ":" + requested.getPort()
                    + ": " + e.getMessage(), e);
        }
    }

    private static ServerSocketChannel open(InetSocketAddress address, boolean reusePort) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true); // reopen despite closed probes
            if (reusePort) {
                channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            channel.bind(address, 64);
            channel.configureBlocking(false);
            return channel;
        } catch (IOException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return address;
    }

    /** The loop it runs on. */
    public EventLoop loop() {
        return loop;
    }

    /** Starts: open while healthy, checked every {@value #CHECK_MS} ms; on the loop's thread. */
    public void register() throws IOException {
        if (healthy.getAsBoolean()) {
            key = server.register(loop.selector(), SelectionKey.OP_ACCEPT, this);
        } else {
            closeQuietly(server);
            server = null;
        }
        loop.timers().schedule(this, loop.nowNs() + CHECK_MS * 1_000_000);
    }

    /** Closes the listener for good; on the loop's thread. */
    public void stop() {
        stopped = true;
        loop.timers().cancel(this);
        backoff.cancel();
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
    }

    @Override
    protected void expired(long nowNs) {
        if (stopped) {
            return;
        }
        boolean up = healthy.getAsBoolean();
        if (up && server == null) {
            try {
                server = open(address, reusePort);
                key = server.register(loop.selector(), backoff.paused() ? 0 : SelectionKey.OP_ACCEPT, this);
            } catch (IOException e) {
                faults.record("front-health reopen", e);
                if (server != null) {
                    closeQuietly(server);
                    server = null;
                }
            }
        } else if (!up && server != null) {
            closeQuietly(server);
            server = null;
        }
        loop.timers().schedule(this, nowNs + CHECK_MS * 1_000_000);
    }

    @Override
    public void ready(SelectionKey key, int readyOps) {
        for (int i = 0; i < ACCEPTS_PER_EVENT && server != null; i++) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                // out of descriptors, typically: the listener stays ready, so back off instead of spinning
                faults.record("front-health accept", e);
                backoff.pause(key);
                return;
            }
            if (channel == null) {
                backoff.succeeded();
                return;
            }
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(Channel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
