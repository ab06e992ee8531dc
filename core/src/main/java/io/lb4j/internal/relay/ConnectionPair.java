package io.lb4j.internal.relay;

import io.lb4j.BalancingPolicy;
import io.lb4j.ProxyProtocol;
import io.lb4j.ProxyTlvs;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.internal.loop.Handler;
import io.lb4j.internal.loop.Timer;
import io.lb4j.internal.pool.BackendState;
import io.lb4j.internal.pool.Counters;
import io.lb4j.internal.pool.Pool;
import io.lb4j.internal.pool.Skip;
import io.lb4j.internal.probe.Reasons;
import io.lb4j.internal.proxy.ProxyHeader;
import io.lb4j.internal.proxy.ProxyHeaderParser;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One client connection and its backend connection, relayed both ways on one event loop. Bytes go
 * through the loop's scratch buffer straight to the peer; only what the peer cannot take at once is
 * parked (the scratch buffer itself is handed over, so nothing is copied) while reading from the
 * sending side pauses. An idle pair holds no buffer. Half-closes pass on like a kernel would; a reset
 * or error on one side resets the other. The pair is its own timer: connect timeout while connecting,
 * then idle timeout, re-armed lazily from the last-activity stamp. With PROXY protocol accepting on,
 * a pair first reads the client's header into a small buffer of its own (dropped once parsed) under a
 * 3 s timer, and only then picks a backend for the address the header claims.
 */
public final class ConnectionPair extends Timer implements Handler, BalancingPolicy.Flow, WaitQueue.Client {
    private static final int CONNECTING = 0;
    private static final int OPEN = 1;
    private static final int CLOSED = 2;
    private static final int HEADER = 3;
    /** Waiting in the {@link WaitQueue} for a slot: nothing read, no interest, no buffer. */
    private static final int QUEUED = 4;
    /** Holds any v1 line and typical v2 headers; a longer v2 one grows it to its announced length. */
    private static final int HEADER_BUFFER_BYTES = 256;
    /** Reads per readiness event before yielding to other keys (fairness between pairs). */
    private static final int READS_PER_EVENT = 8;
    /** How soon a pair that found no descriptor for its backend socket tries again. */
    private static final long DESCRIPTOR_RETRY_NS = 100_000_000L;
    /**
     * How long a pair lives before TCP keepalive is switched on for its sockets: four system calls per
     * socket are thus saved on short connections, which end long before an idle probe could matter, and
     * the first probe of a long one goes out at most this much later.
     */
    static final long KEEPALIVE_AFTER_NS = 1_000_000_000L;

    /**
     * What every connection pair of one balancer shares: the pool to pick from, the timeouts, and the
     * engine's bookkeeping callbacks. Immutable; one instance per balancer. Nested here because its
     * callbacks take the pair, and the pair reads it: one concept, not two files importing each other.
     *
     * @param pool where backends are picked
     * @param idleTimeoutNs 0 = never
     * @param resetOnIdle RST instead of FIN on idle timeout
     * @param connectTimeoutNs per attempt
     * @param connectAttempts backends tried per client connection
     * @param events the engine's bookkeeping
     * @param admission who may come in, limits, and the PROXY protocol settings
     * @param keepAliveIdleNs TCP keepalive idle time set on both sockets of each pair; 0 = off
     * @param queue clients waiting while their backends are full
     */
    public record RelayContext(Pool pool, long idleTimeoutNs, boolean resetOnIdle, long connectTimeoutNs,
                               int connectAttempts, Events events, Admission admission, long keepAliveIdleNs,
                               WaitQueue queue) {

        /** Bookkeeping the engine does for pairs; called on the pair's loop. */
        public interface Events {
            /** A client was accepted; a pair exists from now until {@link #closed}. */
            void accepted(ConnectionPair pair);

            /** A pair was set up and relays bytes. */
            void opened(ConnectionPair pair);

            /** A pair ended, whether or not it ever reached a backend. */
            void closed(ConnectionPair pair, String why);

            /** A connect attempt to {@code backend} failed. */
            void connectFailed(BackendState backend, String why);

            /**
             * A client was closed at accept, before any pair existed (allow/deny, per-client limit, an
             * untrusted PROXY sender); already counted as rejected on {@code frontend}.
             *
             * @param client the TCP peer, or {@code null} when it left before its address was read
             */
            void refused(Frontend frontend, InetSocketAddress client, String why);
        }
    }

    private final RelayContext relay;
    private final EventLoop loop;
    private final SocketChannel client;
    private final SelectionKey clientKey;
    private final InetAddress peer;
    private final AtomicInteger clientSlot;
    private InetSocketAddress clientAddress;
    private final InetSocketAddress frontendAddress;
    private final Frontend frontend;
    private final long openedNs;
    /** Unique on its loop: with the loop's id it names the pair to the admin API. */
    private final long sequence;
    private SocketChannel backend;
    private SelectionKey backendKey;
    private BackendState target;
    private Counters counters;
    private BackendState[] candidates;
    private int tried;
    private ByteBuffer toBackend;
    private ByteBuffer toClient;
    private boolean clientEof;
    private boolean backendEof;
    private boolean keepAliveOn;
    private int clientOps;
    private int backendOps;
    private int state = CONNECTING;
    private long lastActivityNs;
    private long bytesToBackend;
    private long bytesToClient;
    private int[] order;
    private long descriptorWaitSinceNs;
    private ByteBuffer headerIn;
    private ProxyHeader accepted;
    /** Of the candidates skipped so far, whether one was at its limit; whether a connect was tried. */
    private boolean anyFull;
    private boolean anyAttempt;
    /** Set when the pair closes for want of a backend. */
    private Unserved unserved;
    /** In the wait queue (or granted and on its way here); {@code null} otherwise. */
    private WaitQueue.Waiter waiter;
    /** When this client first joined the wait queue (loop clock); 0 when it never waited. */
    private long waitingSinceNs;
    /** Set by the host from any thread through a {@link io.lb4j.Connection} handle. */
    private volatile String tag;

    ConnectionPair(RelayContext relay, EventLoop loop, Frontend frontend, SocketChannel client, SelectionKey clientKey,
                   InetSocketAddress clientAddress, AtomicInteger clientSlot) {
        this.relay = relay;
        this.loop = loop;
        this.frontend = frontend;
        this.client = client;
        this.clientKey = clientKey;
        this.clientAddress = clientAddress;
        this.peer = clientAddress.getAddress();
        this.clientSlot = clientSlot;
        this.frontendAddress = frontend.address();
        this.openedNs = loop.nowNs();
        this.lastActivityNs = openedNs;
        this.sequence = loop.nextSequence();
    }

    /** This pair's number on its loop (1, 2, ...). */
    public long sequence() {
        return sequence;
    }

    /** The client: the TCP peer, or the address its accepted PROXY header claims. */
    @Override
    public InetSocketAddress client() {
        return clientAddress;
    }

    @Override
    public InetSocketAddress frontend() {
        return frontendAddress;
    }

    /** The backend this pair is connected (or connecting) to, or {@code null}. */
    public BackendState backend() {
        return target;
    }

    /** Bytes relayed from client to backend so far. */
    public long bytesToBackend() {
        return bytesToBackend;
    }

    /** Bytes relayed from backend to client so far. */
    public long bytesToClient() {
        return bytesToClient;
    }

    /** When the client was accepted (loop clock). */
    public long openedNs() {
        return openedNs;
    }

    /** Whether the backend connection is established and bytes flow (not connecting, not closed). */
    public boolean relaying() {
        return state == OPEN;
    }

    /** The loop this pair runs on. */
    @Override
    public EventLoop loop() {
        return loop;
    }

    /** The listener that accepted the client. */
    public Frontend frontendListener() {
        return frontend;
    }

    /** When the last byte moved either way (loop clock). */
    public long lastActivityNs() {
        return lastActivityNs;
    }

    /** The host's tag, or {@code null}. */
    public String tag() {
        return tag;
    }

    /** Sets the host's tag; any thread. */
    public void tag(String value) {
        this.tag = value;
    }

    /**
     * Calls {@code action} for each pair relaying on {@code loop}, found through the selector's keys
     * (each pair registers its client channel there), so pairs need no registry of their own and
     * forwarding pays nothing for it. Only on the loop's thread.
     */
    public static void forEachRelaying(EventLoop loop, Consumer<ConnectionPair> action) {
        for (SelectionKey key : loop.selector().keys()) {
            if (key.attachment() instanceof ConnectionPair) {
                ConnectionPair pair = (ConnectionPair) key.attachment();
                if (key == pair.clientKey && pair.state == OPEN) {
                    action.accept(pair);
                }
            }
        }
    }

    /** The TLVs of the client's PROXY v2 header; none when it sent none (or no v2 header, or not yet). */
    public ProxyTlvs proxyTlvs() {
        return accepted == null ? ProxyTlvs.none() : accepted.tlvs();
    }

    /**
     * Reads the client's PROXY header first when one is expected; then picks the backends to try and
     * starts the first connect.
     */
    void start(int[] pickOrder) {
        if (relay.admission().edge().acceptProxy()) {
            order = pickOrder;
            state = HEADER;
            headerIn = ByteBuffer.allocate(HEADER_BUFFER_BYTES);
            clientKey.interestOps(SelectionKey.OP_READ);
            loop.timers().schedule(this, openedNs + Admission.HEADER_TIMEOUT_NS);
            return;
        }
        pick(pickOrder);
    }

    private void readHeader() {
        int n;
        try {
            n = client.read(headerIn);
        } catch (IOException e) {
            close(true, "client reset");
            return;
        }
        if (n < 0) {
            close(false, "bad proxy header: closed before the header ended");
            return;
        }
        headerIn.flip();
        ProxyHeader header;
        try {
            header = ProxyHeaderParser.parse(headerIn);
        } catch (ProxyHeaderParser.Malformed e) {
            close(false, "bad proxy header: " + e.getMessage());
            return;
        }
        if (header == null) {
            int wanted = ProxyHeaderParser.v2Length(headerIn);
            if (wanted > headerIn.capacity()) {
                ByteBuffer larger = ByteBuffer.allocate(wanted);
                larger.put(headerIn);
                headerIn = larger;
            } else {
                headerIn.position(headerIn.limit()).limit(headerIn.capacity());
            }
            return;
        }
        accepted = header;
        if (!header.local()) {
            clientAddress = header.source();
        }
        headerIn.position(header.length()); // what follows is the client's first bytes for the backend
        if (!headerIn.hasRemaining()) {
            headerIn = null;
        }
        loop.timers().cancel(this);
        clientKey.interestOps(0);
        state = CONNECTING;
        int[] pickOrder = order;
        order = null;
        pick(pickOrder);
    }

    /**
     * Picks the backends to try and starts the first connect; waits behind the clients already waiting
     * for a slot, if any, so that no newcomer overtakes them.
     */
    private void pick(int[] order) {
        this.order = order; // the acceptor's array: only ever used synchronously, on this loop
        Pool.Snapshot snapshot = relay.pool().current();
        int count;
        try {
            count = snapshot.selection().pick(this, order);
        } catch (RuntimeException e) {
            frontend.faults().record("policy pick", e);
            count = 0;
        }
        BackendState[] members = snapshot.members();
        candidates = new BackendState[Math.min(count, order.length)];
        for (int i = 0; i < candidates.length; i++) {
            int position = order[i];
            candidates[i] = position >= 0 && position < members.length ? members[position] : null;
        }
        if (relay.queue().enabled() && relay.queue().size() > 0 && anyCandidateUsable() && waitForSlot(true)) {
            return;
        }
        connectNext();
    }

    /** Whether a candidate would take a connection now or once it has room (so this client may queue). */
    private boolean anyCandidateUsable() {
        for (BackendState c : candidates) {
            if (c != null) {
                Skip skip = c.skip();
                if (skip == null || skip.busy()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether this client may wait for a slot: the queue is on, no connect of its was tried, and its
     * backends are usable but at their connection limit (not merely out of connect-rate tokens, which
     * no closing connection gives back).
     */
    private boolean mayWait() {
        if (!relay.queue().enabled() || anyAttempt) {
            return false;
        }
        for (BackendState c : candidates) {
            if (c != null && c.skip() == Skip.CONNECTION_LIMIT) {
                return true;
            }
        }
        return false;
    }

    /**
     * Joins the wait queue under the queue timeout. When the queue is full, a client that found its
     * backends full is closed at once; a newcomer that only meant to queue up behind others goes on
     * to try its backends (one of them may have room that no waiter can use).
     *
     * @return whether it joined
     */
    private boolean waitForSlot(boolean newcomer) {
        WaitQueue queue = relay.queue();
        state = QUEUED;
        clientKey.interestOps(0);
        long now = loop.nowNs();
        if (waitingSinceNs == 0) {
            waitingSinceNs = now; // a client that picks again keeps its first deadline
        }
        // armed first: the join may grant a slot at once, and the grant (a task on this loop) cancels it
        loop.timers().schedule(this, waitingSinceNs + queue.timeoutNs());
        waiter = queue.join(this, candidates);
        if (waiter != null) {
            return true;
        }
        loop.timers().cancel(this);
        state = CONNECTING;
        if (!newcomer) {
            closeUnserved(Unserved.BACKEND_FULL); // the queue is full: turned away as at a full backend
        }
        return false;
    }

    /**
     * The wait queue let this client go: with a slot of {@code w.granted} taken for it, or without one
     * when none of its backends is usable any more (it picks again). On this pair's loop.
     */
    @Override
    public void granted(WaitQueue.Waiter w) {
        try {
            grantedOnLoop(w);
        } catch (RuntimeException e) {
            frontend.faults().record("queue grant", e);
            close(true, INTERNAL_ERROR);
        }
    }

    private void grantedOnLoop(WaitQueue.Waiter w) {
        if (state != QUEUED || waiter != w) {
            if (w.granted != null) {
                w.granted.release(); // closed meanwhile: the slot goes to the next waiter
            }
            return;
        }
        waiter = null;
        loop.timers().cancel(this);
        state = CONNECTING;
        if (w.granted == null) {
            tried = 0;
            pick(order);
            return;
        }
        target = w.granted; // held from here: a fault in what follows gives the slot back through close
        candidates = new BackendState[] {w.granted};
        tried = 1;
        relay.queue().served(loop.id(), Math.max(0, loop.nowNs() - waitingSinceNs));
        if (!attempt(w.granted)) {
            connectNext();
        }
    }

    private void connectNext() {
        while (tried < candidates.length) {
            BackendState candidate = candidates[tried++];
            if (candidate == null) {
                continue;
            }
            Skip skip = candidate.take();
            if (skip != null) {
                anyFull |= skip.busy(); // a spent connect rate counts as full
                continue;
            }
            if (attempt(candidate)) {
                return;
            }
        }
        if (mayWait()) {
            waitForSlot(false);
            return;
        }
        closeUnserved(anyAttempt ? Unserved.CONNECT_FAILED : anyFull ? Unserved.BACKEND_FULL : Unserved.NO_BACKEND);
    }

    /** Closes a client that no backend could take, counted under {@code reason}. */
    void closeUnserved(Unserved reason) {
        unserved = reason;
        close(false, reason.why());
    }

    /** Why the pair closed without being relayed, or {@code null} (relayed, rejected, or still open). */
    public Unserved unserved() {
        return unserved;
    }

    /**
     * Opens a backend socket and starts connecting to {@code candidate}, whose slot (and connect token)
     * this pair holds.
     *
     * @return {@code false} when the attempt failed at once (the next candidate may be tried), {@code
     *     true} when it is under way, connected, waiting for a descriptor, or the pair closed
     */
    private boolean attempt(BackendState candidate) {
        target = candidate; // held from here: a fault in what follows releases it through close
        SocketChannel channel;
        try {
            // the backend's own family: an IPv6 socket would cost a system call for dual-stack mode
            channel = SocketChannel.open(candidate.address().getAddress() instanceof Inet4Address
                    ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        } catch (IOException e) {
            // out of descriptors: hold the client (it costs no more than it does now) and try the
            // same backend again shortly, up to the connect timeout, instead of dropping it
            target = null;
            candidate.release();
            candidate.giveBackConnectToken();
            tried--;
            frontend.outOfResources(loop.id(), e);
            long now = loop.nowNs();
            if (descriptorWaitSinceNs == 0) {
                descriptorWaitSinceNs = now;
            } else if (now - descriptorWaitSinceNs > relay.connectTimeoutNs()) {
                unserved = Unserved.CONNECT_FAILED;
                close(false, "cannot open backend socket: " + e.getMessage());
                return true;
            }
            loop.timers().schedule(this, now + DESCRIPTOR_RETRY_NS);
            return true;
        }
        descriptorWaitSinceNs = 0;
        anyAttempt = true;
        counters = candidate.counters(loop.id());
        backend = channel;
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            boolean connected = channel.connect(candidate.address());
            backendKey = channel.register(loop.selector(), connected ? 0 : SelectionKey.OP_CONNECT, this);
            backendOps = connected ? 0 : SelectionKey.OP_CONNECT;
            if (connected) {
                connected();
            } else {
                loop.timers().schedule(this, loop.nowNs() + relay.connectTimeoutNs());
            }
            return true;
        } catch (IOException e) {
            failAttempt(Reasons.of(e));
            return false;
        }
    }

    private void failAttempt(String why) {
        loop.timers().cancel(this);
        closeQuietly(backend, backendKey, false);
        backendKey = null;
        backend = null;
        counters.connectFailures++;
        target.release();
        relay.events().connectFailed(target, why);
        target = null;
        counters = null;
    }

    private void connected() {
        state = OPEN;
        candidates = null;
        loop.timers().cancel(this);
        counters.connections++;
        lastActivityNs = loop.nowNs();
        clientOps = SelectionKey.OP_READ;
        backendOps = SelectionKey.OP_READ;
        clientKey.interestOps(clientOps);
        backendKey.interestOps(backendOps);
        scheduleOpenTimer();
        relay.events().opened(this);
        if (headerIn != null || relay.admission().edge().sendProxy() != null) {
            sendPreamble();
        }
    }

    /**
     * Writes the PROXY header for the backend, then any bytes that came after the client's own
     * header, before anything else is relayed; what the backend cannot take yet is parked like any
     * other bytes (reading from the client waits until it is flushed).
     */
    private void sendPreamble() {
        ByteBuffer buffer = loop.scratch();
        buffer.clear();
        ProxyProtocol version = relay.admission().edge().sendProxy();
        if (version != null) {
            InetSocketAddress destination = accepted != null && !accepted.local()
                    ? accepted.destination() : localAddress();
            try {
                ProxyHeader.encode(version, clientAddress, destination, proxyTlvs(), buffer);
            } catch (IllegalArgumentException e) {
                // the client's TLVs fit its header but not beside longer addresses (it sent none or
                // UNSPEC): the backend still learns the address
                buffer.clear();
                ProxyHeader.encode(version, clientAddress, destination, ProxyTlvs.none(), buffer);
            }
        }
        if (headerIn != null) {
            int early = headerIn.remaining();
            buffer.put(headerIn);
            headerIn = null;
            bytesToBackend += early;
            counters.bytesToBackend += early;
        }
        buffer.flip();
        try {
            backend.write(buffer);
        } catch (IOException e) {
            close(true, "backend reset");
            return;
        }
        if (buffer.hasRemaining()) {
            park(true, loop.swapScratch());
        }
    }

    private InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) client.getLocalAddress();
        } catch (IOException e) {
            return null; // the header then says UNKNOWN
        }
    }

    @Override
    public void ready(SelectionKey key, int readyOps) {
        if (state == CLOSED) {
            return;
        }
        if (key == backendKey) {
            if (state == CONNECTING) {
                finishConnect();
                return;
            }
            if ((readyOps & SelectionKey.OP_WRITE) != 0) {
                flush(false);
            }
            if ((readyOps & SelectionKey.OP_READ) != 0 && state == OPEN) {
                transfer(false);
            }
        } else {
            if (state == HEADER) {
                readHeader();
                return;
            }
            if ((readyOps & SelectionKey.OP_WRITE) != 0) {
                flush(true);
            }
            if ((readyOps & SelectionKey.OP_READ) != 0 && state == OPEN) {
                transfer(true);
            }
        }
    }

    private void finishConnect() {
        try {
            if (backend.finishConnect()) {
                connected();
            }
        } catch (IOException e) {
            failAttempt(Reasons.of(e));
            connectNext();
        }
    }

    /** Reads from one side and writes to the other until the source is empty or the sink is full. */
    private void transfer(boolean fromClient) {
        SocketChannel source = fromClient ? client : backend;
        SocketChannel sink = fromClient ? backend : client;
        ByteBuffer buffer = loop.scratch();
        for (int i = 0; i < READS_PER_EVENT; i++) {
            buffer.clear();
            int n;
            try {
                n = source.read(buffer);
            } catch (IOException e) {
                close(true, fromClient ? "client reset" : "backend reset");
                return;
            }
            if (n < 0) {
                endOfStream(fromClient);
                return;
            }
            if (n == 0) {
                return;
            }
            lastActivityNs = loop.nowNs();
            if (fromClient) {
                bytesToBackend += n;
                counters.bytesToBackend += n;
            } else {
                bytesToClient += n;
                counters.bytesToClient += n;
            }
            buffer.flip();
            try {
                sink.write(buffer);
            } catch (IOException e) {
                close(true, fromClient ? "backend reset" : "client reset");
                return;
            }
            if (buffer.hasRemaining()) {
                park(fromClient, loop.swapScratch());
                return;
            }
            if (n < buffer.capacity()) {
                return; // the socket is most likely drained: skip the read that would say so
            }
        }
    }

    private void park(boolean fromClient, ByteBuffer pending) {
        if (fromClient) {
            toBackend = pending;
            clientOps &= ~SelectionKey.OP_READ;
            backendOps |= SelectionKey.OP_WRITE;
        } else {
            toClient = pending;
            backendOps &= ~SelectionKey.OP_READ;
            clientOps |= SelectionKey.OP_WRITE;
        }
        applyInterest();
    }

    /** Writes parked bytes to the side that became writable. */
    private void flush(boolean toClientSide) {
        ByteBuffer pending = toClientSide ? toClient : toBackend;
        SocketChannel sink = toClientSide ? client : backend;
        if (pending != null) {
            try {
                sink.write(pending);
            } catch (IOException e) {
                close(true, toClientSide ? "client reset" : "backend reset");
                return;
            }
            if (pending.hasRemaining()) {
                return;
            }
            lastActivityNs = loop.nowNs();
            loop.release(pending);
        }
        if (toClientSide) {
            toClient = null;
            clientOps &= ~SelectionKey.OP_WRITE;
            if (backendEof) {
                shutdownOutput(true);
            } else {
                backendOps |= SelectionKey.OP_READ;
            }
        } else {
            toBackend = null;
            backendOps &= ~SelectionKey.OP_WRITE;
            if (clientEof) {
                shutdownOutput(false);
            } else {
                clientOps |= SelectionKey.OP_READ;
            }
        }
        applyInterest();
        finishIfDone();
    }

    private void endOfStream(boolean fromClient) {
        if (fromClient) {
            clientEof = true;
            clientOps &= ~SelectionKey.OP_READ;
            if (toBackend == null) {
                shutdownOutput(false);
            }
        } else {
            backendEof = true;
            backendOps &= ~SelectionKey.OP_READ;
            if (toClient == null) {
                shutdownOutput(true);
            }
        }
        applyInterest();
        finishIfDone();
    }

    private void finishIfDone() {
        if (state == OPEN && clientEof && backendEof && toBackend == null && toClient == null) {
            close(false, "closed");
        }
    }

    /**
     * Passes an end of stream on to one side, unless the pair is about to close anyway (both sides
     * ended, nothing parked): the close sends the same FIN, and the system call is saved.
     */
    private void shutdownOutput(boolean toClientSide) {
        if (clientEof && backendEof && toBackend == null && toClient == null) {
            return;
        }
        try {
            (toClientSide ? client : backend).shutdownOutput();
        } catch (IOException e) {
            // the peer is already gone; the read side will tell
        }
    }

    private void applyInterest() {
        if (state == CLOSED) {
            return;
        }
        if (clientKey.interestOps() != clientOps) {
            clientKey.interestOps(clientOps);
        }
        if (backendKey != null && backendKey.interestOps() != backendOps) {
            backendKey.interestOps(backendOps);
        }
    }

    @Override
    protected void expired(long nowNs) {
        if (state == HEADER) {
            close(false, "bad proxy header: none within 3 s");
        } else if (state == QUEUED) {
            if (relay.queue().leave(waiter)) {
                waiter = null;
                closeUnserved(Unserved.QUEUE_TIMEOUT);
            } // else a slot was granted a moment ago: that task is on its way here
        } else if (state == CONNECTING && backend == null) {
            connectNext(); // waited for a descriptor
        } else if (state == CONNECTING) {
            failAttempt("connect timeout");
            connectNext();
        } else if (state == OPEN) {
            if (relay.idleTimeoutNs() > 0 && lastActivityNs + relay.idleTimeoutNs() - nowNs <= 0) {
                close(relay.resetOnIdle(), "idle timeout");
                return;
            }
            if (!keepAliveOn && relay.keepAliveIdleNs() > 0 && openedNs + KEEPALIVE_AFTER_NS - nowNs <= 0) {
                keepAliveOn = true;
                KeepAlive.apply(client, relay.keepAliveIdleNs());
                KeepAlive.apply(backend, relay.keepAliveIdleNs());
            }
            scheduleOpenTimer();
        }
    }

    /**
     * Arms the timer of an open pair for whichever comes first: its idle deadline (re-checked then
     * against the last activity, so traffic never re-arms it) or the moment keepalive goes on.
     */
    private void scheduleOpenTimer() {
        long next = Long.MAX_VALUE;
        boolean armed = false;
        if (relay.idleTimeoutNs() > 0) {
            next = lastActivityNs + relay.idleTimeoutNs();
            armed = true;
        }
        if (!keepAliveOn && relay.keepAliveIdleNs() > 0) {
            long due = openedNs + KEEPALIVE_AFTER_NS;
            next = armed && next - due <= 0 ? next : due;
            armed = true;
        }
        if (armed) {
            loop.timers().schedule(this, next);
        }
    }

    /** The client's channel, for tests that read its socket options. */
    SocketChannel clientChannel() {
        return client;
    }

    /** The backend's channel ({@code null} before the first connect), for tests that read its options. */
    SocketChannel backendChannel() {
        return backend;
    }

    /**
     * Ends the pair: both channels closed, with RST when {@code reset}, buffers returned, counts
     * settled. Idempotent.
     */
    public void close(boolean reset, String why) {
        if (state == CLOSED) {
            return;
        }
        if (state == QUEUED && waiter != null) {
            relay.queue().leave(waiter); // a grant already on its way is given back when it arrives
        }
        state = CLOSED;
        loop.timers().cancel(this);
        if (toBackend != null) {
            loop.release(toBackend);
            toBackend = null;
        }
        if (toClient != null) {
            loop.release(toClient);
            toClient = null;
        }
        closeQuietly(client, clientKey, reset);
        if (backend != null) {
            closeQuietly(backend, backendKey, reset);
        }
        headerIn = null;
        if (target != null) {
            target.release();
        }
        relay.admission().unreserve();
        relay.admission().releaseClient(peer, clientSlot);
        relay.events().closed(this, why);
    }

    @Override
    public void shutdown(SelectionKey key) {
        close(false, "balancer closed");
    }

    /** How the close reason of a client refused for a missing or bad PROXY header begins. */
    public static final String BAD_PROXY_HEADER = "bad proxy header";

    /** Why a pair closed when one of its own handlers or its timer threw. */
    public static final String INTERNAL_ERROR = "internal error";

    /** One of this pair's handlers threw (the loop counted it): the whole pair closes, with RST. */
    @Override
    public void failed(SelectionKey key, Throwable cause) {
        fail();
    }

    /** This pair's timer threw (the loop counted it): the whole pair closes, with RST. */
    @Override
    protected void failed(Throwable cause) {
        fail();
    }

    /** Called by the acceptor when {@link #start} threw (counted there). */
    void startFailed() {
        fail();
    }

    private void fail() {
        if (state != CLOSED) {
            close(true, INTERNAL_ERROR);
            return;
        }
        // the fault came out of close itself: whatever else it missed, both sockets go
        closeQuietly(client, clientKey, true);
        if (backend != null) {
            closeQuietly(backend, backendKey, true);
        }
    }

    /** Closes {@code channel} (RST when {@code reset}) after its key, if any, is deregistered. */
    private void closeQuietly(SocketChannel channel, SelectionKey key, boolean reset) {
        try {
            if (reset && channel.isOpen()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException | RuntimeException ignored) {
            // not connected any more: a plain close is all that is left
        }
        if (key == null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing: nothing more to do
            }
            return;
        }
        key.cancel();
        loop.closeAfterDeregister(channel);
    }
}
