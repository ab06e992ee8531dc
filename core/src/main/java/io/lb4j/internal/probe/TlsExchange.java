package io.lb4j.internal.probe;

import io.lb4j.ProbeResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * The TLS half of an {@link HttpExchange}: after the connect, the PROXY header in clear, then an
 * {@link SSLEngine} handshake, the request and the response head, all over the probe's non-blocking
 * channel on its event loop. Each call to {@link #advance} goes as far as the socket allows and then
 * waits for the one readiness it needs; nothing here blocks or starts a thread.
 */
final class TlsExchange {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    private final SocketChannel channel;
    private final ByteBuffer prefix;
    private final Conversation conversation;
    private final ProbeFuture result;
    private final ByteBuffer request;
    /** Records to send, kept flipped (ready to be written). */
    private final ByteBuffer netOut;
    /** Records received, kept in fill mode. */
    private ByteBuffer netIn;
    /** Decrypted response bytes: room for the largest head plus one record, as unwrap needs. */
    private final byte[] head;
    private final ByteBuffer appIn;
    private final Executor tasks;
    private final Runnable resume;
    private boolean started;
    private boolean handshaking;
    private boolean heardFromPeer;
    /** What work on the executor threw, handed back with {@link #resume}. */
    private volatile Exception taskFailure;
    /** The ClientHello's wrap, made on the executor with beginHandshake, to be checked on the loop. */
    private volatile SSLEngineResult helloWrap;

    /**
     * @param tasks where the engine's delegated work runs (off the loop), or {@code null} to run it inline
     * @param resume calls {@link #advance} again on the loop once that work is done
     */
    TlsExchange(SSLEngine engine, SocketChannel channel, ByteBuffer prefix, Conversation conversation,
                ProbeFuture result, Executor tasks, Runnable resume) {
        this.tasks = tasks;
        this.resume = resume;
        this.engine = engine;
        this.channel = channel;
        this.prefix = prefix;
        this.conversation = conversation;
        this.result = result;
        this.request = ByteBuffer.wrap(conversation.request());
        int packet = engine.getSession().getPacketBufferSize();
        this.netOut = ByteBuffer.allocate(packet).flip();
        this.netIn = ByteBuffer.allocate(packet);
        this.head = new byte[Conversation.MAX_HEAD_BYTES + engine.getSession().getApplicationBufferSize()];
        this.appIn = ByteBuffer.wrap(head);
    }

    /** Moves the exchange on after the channel connected or became ready; sets the interest it waits for. */
    void advance(SelectionKey key) throws IOException {
        Exception failed = taskFailure;
        if (failed instanceof IOException) {
            throw (IOException) failed;
        }
        if (failed != null) {
            throw (RuntimeException) failed;
        }
        SSLEngineResult hello = helloWrap;
        if (hello != null) {
            helloWrap = null;
            check(hello);
        }
        while (!result.isDone()) {
            if (!flush()) {
                key.interestOps(SelectionKey.OP_WRITE);
                return;
            }
            if (prefix.hasRemaining()) {
                channel.write(prefix);
                if (prefix.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_WRITE);
                    return;
                }
            }
            if (!started) {
                started = true;
                handshaking = true;
                result.timeoutReason("tls: handshake timed out");
                // beginHandshake produces the ClientHello with a fresh key share (about 1 ms of key
                // generation): CPU work for the executor too, like the delegated tasks
                if (offload(key, () -> {
                    engine.beginHandshake();
                    helloWrap = wrapOnly(EMPTY);
                })) {
                    return;
                }
                check(helloWrap);
                helloWrap = null;
                continue;
            }
            SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
            switch (status) {
                case NEED_TASK:
                    if (offload(key, this::runTasks)) {
                        return;
                    }
                    break;
                case NEED_WRAP:
                    wrap(EMPTY);
                    break;
                case NEED_UNWRAP:
                case NEED_UNWRAP_AGAIN:
                    if (!unwrap()) {
                        key.interestOps(SelectionKey.OP_READ);
                        return;
                    }
                    break;
                default: // NOT_HANDSHAKING: the handshake is done (or never comes back)
                    if (handshaking) {
                        handshaking = false;
                        result.timeoutReason("timeout");
                    }
                    if (request.hasRemaining()) {
                        wrap(request);
                    } else if (!unwrap()) {
                        key.interestOps(SelectionKey.OP_READ);
                        return;
                    }
                    break;
            }
        }
    }

    /**
     * The probe's reason for a failure thrown while the exchange ran: TLS failures and anything during
     * the handshake are named as TLS's.
     */
    String reason(Exception e) {
        if (handshaking || e instanceof SSLException) {
            return tlsReason(e);
        }
        return e instanceof IOException ? Reasons.of(e) : "probe error: " + Reasons.of(e);
    }

    /** A TLS failure's reason: the certificate check's own, the alert the server sent, or the message. */
    static String tlsReason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TlsClient.Refused) {
                return t.getMessage();
            }
        }
        String message = e.getMessage();
        if (message != null && message.startsWith("Received fatal alert: ")) {
            return "tls: alert " + message.substring("Received fatal alert: ".length());
        }
        return "tls: " + Reasons.of(e);
    }

    /**
     * Hands engine work (beginHandshake's key generation; the delegated key agreement, certificate and
     * signature checks: together about 5 ms of CPU per handshake with the JDK 17's EC code) to the
     * probe executor, so that the loop goes on relaying meanwhile; the channel waits for nothing until
     * it is done. True when handed off; false when it ran here (no executor, or the executor is full).
     */
    private boolean offload(SelectionKey key, Work work) throws IOException {
        if (tasks != null) {
            key.interestOps(0);
            try {
                tasks.execute(() -> {
                    try {
                        work.run();
                    } catch (IOException | RuntimeException e) {
                        taskFailure = e;
                    }
                    resume.run();
                });
                return true;
            } catch (RejectedExecutionException full) {
                // run it here rather than fail the probe
            }
        }
        work.run();
        return false;
    }

    /** Engine work that may run on the executor: it touches the engine and the pending records only. */
    @FunctionalInterface
    private interface Work {
        void run() throws IOException;
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    /**
     * Wraps into the pending records (empty: netOut is flushed before each wrap, and holds a whole
     * record). Completes the result when the engine made no progress or is closed, so that the loop
     * in {@link #advance} can never spin.
     */
    private void wrap(ByteBuffer source) throws SSLException {
        check(wrapOnly(source));
    }

    /** The wrap itself, completing nothing (it may run on the executor). */
    private SSLEngineResult wrapOnly(ByteBuffer source) throws SSLException {
        netOut.compact();
        try {
            return engine.wrap(source, netOut);
        } finally {
            netOut.flip();
        }
    }

    /** Completes the result when a wrap made no progress or found the engine closed. */
    private void check(SSLEngineResult r) {
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            result.complete(ProbeResult.failed(handshaking ? "tls: closed during the handshake" : "tls: closed"));
        } else if (r.bytesProduced() == 0 && r.bytesConsumed() == 0) {
            result.complete(ProbeResult.failed("tls: engine made no progress (" + r.getStatus() + ")"));
        }
    }

    /** Writes pending records; true when none are left. */
    private boolean flush() throws IOException {
        if (netOut.hasRemaining()) {
            channel.write(netOut);
        }
        return !netOut.hasRemaining();
    }

    /**
     * Unwraps what has arrived, reading from the channel when a record is incomplete; false when
     * the peer has sent nothing more for now. Completes the result once the response decides it.
     */
    private boolean unwrap() throws IOException {
        netIn.flip();
        SSLEngineResult r;
        try {
            r = engine.unwrap(netIn, appIn);
        } finally {
            netIn.compact();
        }
        switch (r.getStatus()) {
            case BUFFER_UNDERFLOW:
                return readMore();
            case CLOSED:
                ended();
                return true;
            case BUFFER_OVERFLOW:
                result.complete(ProbeResult.failed("response head over " + Conversation.MAX_HEAD_BYTES + " bytes"));
                return true;
            default:
                if (r.bytesProduced() > 0) {
                    respond(false);
                } else if (r.bytesConsumed() == 0 && r.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_UNWRAP) {
                    return readMore(); // nothing usable yet: wait for bytes instead of spinning
                }
                return true;
        }
    }

    /** Reads from the channel; false when nothing has arrived yet. */
    private boolean readMore() throws IOException {
        if (!netIn.hasRemaining()) {
            if (netIn.capacity() >= 4 * engine.getSession().getPacketBufferSize()) {
                result.complete(ProbeResult.failed("tls: record too large"));
                return true;
            }
            // a record larger than the session said at first (it may grow once negotiated)
            ByteBuffer larger = ByteBuffer.allocate(Math.max(netIn.capacity() * 2,
                    engine.getSession().getPacketBufferSize()));
            netIn.flip();
            netIn = larger.put(netIn);
        }
        int n = channel.read(netIn);
        if (n < 0) {
            ended();
            return true;
        }
        if (n > 0 && !heardFromPeer) {
            heardFromPeer = true;
            if (!startsLikeTls(netIn.get(0))) {
                result.complete(ProbeResult.failed("tls: not a TLS server (its answer is not a TLS record)"));
            }
        }
        return n > 0;
    }

    /** RFC 8446 5.1: a record starts with its content type, 20 to 24 (change_cipher_spec to heartbeat). */
    private static boolean startsLikeTls(byte first) {
        return first >= 20 && first <= 24;
    }

    /** The peer closed (a FIN, or TLS close_notify). */
    private void ended() {
        if (handshaking || !started) {
            result.complete(ProbeResult.failed("tls: connection closed during the handshake"));
        } else if (request.hasRemaining()) {
            result.complete(ProbeResult.failed("tls: connection closed before the request was sent"));
        } else {
            respond(true);
        }
    }

    private void respond(boolean ended) {
        ProbeResult verdict = conversation.verdict(head, appIn.position(), ended);
        if (verdict == null) {
            return;
        }
        byte[] farewell = ended ? null : conversation.farewell(verdict);
        try {
            netOut.compact();
            try {
                if (farewell != null) {
                    engine.wrap(ByteBuffer.wrap(farewell), netOut);
                }
                engine.closeOutbound();
                engine.wrap(EMPTY, netOut); // close_notify (RFC 8446 6.1)
            } finally {
                netOut.flip();
            }
            flush(); // best effort: a few bytes into an empty send buffer
        } catch (IOException | RuntimeException e) {
            // the verdict stands; the socket is closed next
        }
        result.complete(verdict);
    }
}
