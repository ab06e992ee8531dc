package io.lb4j.internal.relay;

import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Handler;
import io.lb4j.internal.loop.Timer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Accepts clients of one frontend on one event loop and starts a {@link ConnectionPair} for each.
 * When accepting fails (typically: out of file descriptors) it stops accepting for 100 ms, doubling
 * up to 1 s while the failures last, instead of spinning on a listener that stays ready.
 */
public final class Acceptor extends Timer implements Handler {
    private static final int ACCEPTS_PER_EVENT = 64;
    private static final long MIN_PAUSE_NS = 100_000_000L;
    private static final long MAX_PAUSE_NS = 1_000_000_000L;

    private final Relay relay;
    private final EventLoop loop;
    private final Frontend frontend;
    private final ServerSocketChannel server;
    private final int[] order;
    private SelectionKey key;
    private long pauseNs = MIN_PAUSE_NS;
    private long pauses;

    /**
     * @param relay shared pair settings
     * @param loop the loop this acceptor and its pairs run on
     * @param frontend the frontend it serves
     * @param server a bound, non-blocking listening channel
     */
    public Acceptor(Relay relay, EventLoop loop, Frontend frontend, ServerSocketChannel server) {
        this.relay = relay;
        this.loop = loop;
        this.frontend = frontend;
        this.server = server;
        this.order = new int[relay.connectAttempts()];
        frontend.acceptor(loop.id(), this);
    }

    /** Registers for accepting; on the loop's thread. */
    public void register() throws IOException {
        key = server.register(loop.selector(), SelectionKey.OP_ACCEPT, this);
    }

    /** Stops accepting and closes the listening channel; on the loop's thread. */
    public void stop() {
        loop.timers().cancel(this);
        if (key != null) {
            key.cancel();
        }
        try {
            server.close();
        } catch (IOException e) {
            frontend.faults().record("acceptor close", e);
        }
    }

    /** The loop this acceptor runs on. */
    public EventLoop loop() {
        return loop;
    }

    /** Times accepting was paused for lack of resources. */
    public long pauses() {
        return pauses;
    }

    @Override
    public void ready(SelectionKey k, int readyOps) {
        for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                pause(e);
                return;
            }
            if (channel == null) {
                break;
            }
            accept(channel);
            if (!key.isValid() || key.interestOps() == 0) {
                return; // the new pair ran out of descriptors and paused accepting
            }
        }
        pauseNs = MIN_PAUSE_NS;
    }

    private void accept(SocketChannel channel) {
        frontend.accepted(loop.id());
        SelectionKey clientKey;
        InetSocketAddress remote;
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            remote = (InetSocketAddress) channel.getRemoteAddress();
            clientKey = channel.register(loop.selector(), 0);
        } catch (IOException e) {
            // the client left between accept and setup
            frontend.rejected(loop.id());
            try {
                channel.close();
            } catch (IOException ignored) {
                // already gone
            }
            return;
        }
        ConnectionPair pair = new ConnectionPair(relay, loop, frontend, channel, clientKey, remote);
        clientKey.attach(pair);
        relay.events().accepted(pair);
        pair.start(order);
    }

    void pause(IOException cause) {
        if (!key.isValid() || key.interestOps() == 0) {
            return; // stopped, or paused already
        }
        pauses++;
        frontend.faults().record("accept", cause);
        key.interestOps(0);
        loop.timers().schedule(this, loop.nowNs() + pauseNs);
        pauseNs = Math.min(pauseNs * 2, MAX_PAUSE_NS);
    }

    @Override
    protected void expired(long nowNs) {
        if (key.isValid()) {
            key.interestOps(SelectionKey.OP_ACCEPT);
        }
    }
}
