package io.lb4j.internal.relay;

import io.lb4j.internal.loop.AcceptBackoff;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Handler;
import io.lb4j.internal.loop.Timer;
import io.lb4j.internal.relay.ConnectionPair.RelayContext;
import io.lb4j.internal.TokenBucket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Accepts clients of one frontend on one event loop and starts a {@link ConnectionPair} for each.
 * When accepting fails (typically: out of file descriptors) it stops accepting for 100 ms, doubling
 * up to 1 s while the failures last, instead of spinning on a listener that stays ready. It also stops
 * while the global connection limit is reached ({@link Admission}), and refuses peers that the allow
 * and deny lists or the per-client limit keep out, before reading a byte from them. With an accept
 * rate it stops while the global token bucket is empty and resumes on a timer when the next token is due.
 */
public final class Acceptor implements Handler, Admission.Paused, Frontend.Pausable {
    private static final int ACCEPTS_PER_EVENT = 64;

    private final RelayContext relay;
    private final EventLoop loop;
    private final Frontend frontend;
    private final ServerSocketChannel server;
    private final int[] order;
    private final Runnable resume = this::resume;
    private final AcceptBackoff backoff;
    private SelectionKey key;
    private long limitPauses;
    private boolean limitPaused;
    private boolean ratePaused;
    private long ratePauses;
    private final Timer rateResume = new Timer() {
        @Override
        protected void expired(long nowNs) {
            ratePaused = false;
            if (key.isValid() && !limitPaused && !backoff.paused()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        }
    };

    /**
     * @param relay shared pair settings
     * @param loop the loop this acceptor and its pairs run on
     * @param frontend the frontend it serves
     * @param server a bound, non-blocking listening channel
     */
    public Acceptor(RelayContext relay, EventLoop loop, Frontend frontend, ServerSocketChannel server) {
        this.relay = relay;
        this.loop = loop;
        this.frontend = frontend;
        this.server = server;
        this.order = new int[relay.connectAttempts()];
        this.backoff = new AcceptBackoff(loop, this::resumeAfterFault);
        frontend.acceptor(loop.id(), this);
    }

    /** Registers for accepting; on the loop's thread. */
    public void register() throws IOException {
        key = server.register(loop.selector(), SelectionKey.OP_ACCEPT, this);
    }

    /** Stops accepting and closes the listening channel; on the loop's thread. */
    public void stop() {
        backoff.cancel();
        loop.timers().cancel(rateResume);
        if (key != null) {
            key.cancel();
        }
        try {
            server.close();
        } catch (IOException e) {
            frontend.faults().record("acceptor close", e);
        }
    }

    /** Closes the listener of an acceptor that was never registered (a start that failed after binding). */
    public void closeUnregistered() {
        if (key == null) {
            try {
                server.close();
            } catch (IOException e) {
                frontend.faults().record("acceptor close", e);
            }
        }
    }

    /** The loop this acceptor runs on. */
    public EventLoop loop() {
        return loop;
    }

    /** Times accepting was paused for lack of resources; on the loop's thread. */
    public long pauses() {
        return backoff.pauses();
    }

    /** Times accepting was paused for the global connection limit; on the loop's thread. */
    public long limitPauses() {
        return limitPauses;
    }

    @Override
    public void ready(SelectionKey k, int readyOps) {
        Admission admission = relay.admission();
        TokenBucket rate = admission.acceptRate();
        for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
            if (rate != null && !rate.tryTake(loop.nowNs())) {
                pauseForRate(rate);
                return;
            }
            if (!admission.reserve()) {
                giveBack(rate);
                pauseForLimit(admission);
                return;
            }
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                admission.unreserve();
                giveBack(rate);
                pause(e);
                return;
            }
            if (channel == null) {
                admission.unreserve();
                giveBack(rate);
                break;
            }
            accept(channel, admission);
            if (!key.isValid() || key.interestOps() == 0) {
                return; // the new pair ran out of descriptors and paused accepting
            }
        }
        backoff.succeeded();
    }

    /**
     * Something this acceptor called threw outside any one client's setup (the loop counted it): the
     * listener stays open, and accepting backs off as for a failed {@code accept()}, so a fault that
     * repeats cannot spin the loop.
     */
    @Override
    public void failed(SelectionKey k, Throwable cause) {
        if (key != null && key.isValid() && key.interestOps() != 0) {
            backoff.pause(key);
        }
    }

    private void accept(SocketChannel channel, Admission admission) {
        frontend.accepted(loop.id());
        SelectionKey clientKey;
        InetSocketAddress remote = null;
        AtomicInteger slot = null;
        try {
            remote = (InetSocketAddress) channel.getRemoteAddress();
            String refused = admission.refusal(remote.getAddress().getAddress());
            if (refused == null) {
                slot = admission.acquireClient(remote.getAddress());
                refused = slot == null ? "per-client connection limit" : null;
            }
            if (refused != null) {
                refuse(channel, admission, remote, refused, true);
                return;
            }
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            clientKey = channel.register(loop.selector(), 0);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            // the client left between accept and setup (or setup failed): it costs this client only
            if (!(e instanceof IOException)) {
                frontend.faults().record("accept setup", e);
            }
            if (slot != null) {
                admission.releaseClient(remote.getAddress(), slot);
            }
            refuse(channel, admission, remote, "client left during setup", false);
            return;
        }
        ConnectionPair pair = new ConnectionPair(relay, loop, frontend, channel, clientKey, remote, slot);
        clientKey.attach(pair);
        relay.events().accepted(pair);
        try {
            pair.start(order);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // a fault in the pair's first steps (picking, opening the backend socket) costs that pair,
            // closed through its own close, and never this listener
            frontend.faults().record("event loop handler", e);
            pair.startFailed();
        }
    }

    /**
     * Closes a client refused at accept (counted as rejected when {@code byRule}: allow/deny, the
     * per-client limit, an untrusted PROXY sender) or lost during setup.
     */
    private void refuse(SocketChannel channel, Admission admission, InetSocketAddress remote, String why,
                        boolean byRule) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
        admission.unreserve();
        if (byRule) {
            frontend.rejected(loop.id());
        }
        relay.events().refused(frontend, remote, why);
    }

    private void pauseForLimit(Admission admission) {
        if (key.isValid()) {
            key.interestOps(0);
        }
        limitPaused = true;
        limitPauses++;
        admission.paused();
    }

    /** The global limit has room again: accepting resumes on this acceptor's loop. */
    @Override
    public void placeFreed() {
        loop.execute(resume);
    }

    private void resume() {
        if (!limitPaused) {
            return;
        }
        limitPaused = false;
        if (!backoff.paused() && !ratePaused && key != null && key.isValid()) {
            key.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    private static void giveBack(TokenBucket rate) {
        if (rate != null) {
            rate.giveBack();
        }
    }

    /**
     * Stops accepting until the global accept bucket has a token again: clients wait in the listen
     * backlog (the kernel completes their handshakes), nobody is reset.
     */
    private void pauseForRate(TokenBucket rate) {
        if (key.isValid()) {
            key.interestOps(0);
        }
        ratePaused = true;
        ratePauses++;
        // at least one wheel tick ahead: the wheel fires on its next tick anyway
        loop.timers().schedule(rateResume, Math.max(rate.nextTokenNs(), loop.nowNs() + 1));
    }

    /** Times accepting waited for the accept rate's next token. */
    public long ratePauses() {
        return ratePauses;
    }

    /** A pair of this loop found no descriptor for its backend: accepting backs off as after a failed accept. */
    @Override
    public void pause(IOException cause) {
        if (!key.isValid() || key.interestOps() == 0) {
            return; // stopped, or paused already
        }
        if (backoff.pause(key)) {
            frontend.faults().record("accept", cause);
        }
    }

    private void resumeAfterFault() {
        if (key.isValid() && !limitPaused && !ratePaused) {
            key.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    /**
     * Closes the listener for a hand-over, losing as few queued clients as user space can; on the loop's
     * thread. Linux resets the handshakes queued on a closing {@code SO_REUSEPORT} listener (unless
     * {@code net.ipv4.tcp_migrate_req=1} moves them to the successor's listeners), while new SYNs reach
     * the successor only once this one is closed. So: deregister first (a registered channel's real
     * close waits for the selector), accept every queued client until {@code accept()} finds none, and
     * close in the same breath; only a handshake completing in those microseconds can still be lost.
     * The clients accepted here are relayed like any other (the accept rate does not hold them back:
     * waiting would cost them their connection).
     *
     * @return clients taken from the queue before closing
     */
    public int handOver() {
        backoff.cancel();
        loop.timers().cancel(rateResume);
        if (key != null) {
            key.cancel();
            try {
                // deregisters the cancelled key now; the keys it finds ready stay ready (level-triggered)
                loop.selector().selectNow();
                loop.selector().selectedKeys().clear();
            } catch (IOException e) {
                frontend.faults().record("hand-over select", e);
            }
        }
        Admission admission = relay.admission();
        List<SocketChannel> queued = new ArrayList<>();
        try {
            for (SocketChannel channel; (channel = server.accept()) != null; ) {
                queued.add(channel);
            }
        } catch (IOException e) {
            frontend.faults().record("hand-over accept", e); // out of descriptors: the rest are lost
        }
        try {
            server.close();
        } catch (IOException e) {
            frontend.faults().record("acceptor close", e);
        }
        for (SocketChannel channel : queued) {
            if (admission.reserve()) {
                accept(channel, admission);
            } else {
                // the global limit is full: the client gets a FIN now rather than a reset at close
                frontend.accepted(loop.id());
                frontend.rejected(loop.id());
                try {
                    relay.events().refused(frontend, (InetSocketAddress) channel.getRemoteAddress(),
                            "connection limit at hand-over");
                    channel.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
        }
        return queued.size();
    }
}
