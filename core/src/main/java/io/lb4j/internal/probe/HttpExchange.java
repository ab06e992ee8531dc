package io.lb4j.internal.probe;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.internal.loop.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * One request-response probe over HTTP/1.1 (the HTTP and WebSocket-handshake probes): connect, send
 * the request, read at most {@link Conversation#MAX_HEAD_BYTES} until the response head is complete, judge it,
 * optionally send a farewell, close. With a {@link TlsClient} the request and response go through
 * {@link TlsExchange} (HTTPS, {@code wss}). On the engine it runs non-blocking on the probing loop's
 * selector (no thread of its own); a target from outside the engine gets a blocking fallback.
 */
final class HttpExchange implements Handler {
    private final Conversation conversation;
    private final SocketChannel channel;
    private final ProbeFuture result;
    private final ByteBuffer request;
    private final byte[] head;
    private final ByteBuffer in;
    private final TlsExchange tls;
    private SelectionKey key;

    private HttpExchange(Conversation conversation, SocketChannel channel, ProbeFuture result,
                         HealthProbe.Target target, TlsClient tlsClient) {
        this.conversation = conversation;
        this.channel = channel;
        this.result = result;
        if (tlsClient == null) {
            this.request = ByteBuffer.wrap(requestBytes(target, conversation));
            this.head = new byte[Conversation.MAX_HEAD_BYTES];
            this.in = ByteBuffer.wrap(head);
            this.tls = null;
        } else {
            // the PROXY header goes in clear, before the handshake; the request inside TLS
            byte[] header = target.proxyProtocol() == null ? new byte[0] : target.proxyProtocol().localHeader();
            this.request = null;
            this.head = null;
            this.in = null;
            LoopTarget loopTarget = (LoopTarget) target;
            // work the engine hands out (key agreement, signature checks) runs on the probe executor and
            // comes back through the loop's queue as a readiness of nothing, which advance() takes from there
            this.tls = new TlsExchange(tlsClient.engine(target), channel, ByteBuffer.wrap(header), conversation, result,
                    loopTarget.blockingExecutor(), () -> loopTarget.loop().execute(() -> ready(key, 0)));
        }
    }

    /** The request, after a PROXY protocol LOCAL header when the balancer sends PROXY headers. */
    private static byte[] requestBytes(HealthProbe.Target target, Conversation conversation) {
        byte[] request = conversation.request();
        if (target.proxyProtocol() == null) {
            return request;
        }
        byte[] header = target.proxyProtocol().localHeader();
        byte[] both = Arrays.copyOf(header, header.length + request.length);
        System.arraycopy(request, 0, both, header.length, request.length);
        return both;
    }

    /**
     * Runs {@code conversation} against the target, over TLS when {@code tls} is not {@code null};
     * the stage completes with the verdict.
     */
    static CompletionStage<ProbeResult> run(HealthProbe.Target target, Conversation conversation, TlsClient tls) {
        if (!(target instanceof LoopTarget)) {
            return CompletableFuture.supplyAsync(() -> blocking(target, conversation, tls));
        }
        LoopTarget loopTarget = (LoopTarget) target;
        ProbeFuture result = new ProbeFuture();
        SocketChannel channel;
        try {
            channel = SocketChannel.open();
        } catch (IOException e) {
            result.complete(ProbeResult.failed("cannot open socket: " + e.getMessage()));
            return result;
        }
        HttpExchange exchange;
        try {
            exchange = new HttpExchange(conversation, channel, result, target, tls);
        } catch (RuntimeException e) {
            TcpProbe.closeQuietly(channel);
            result.complete(ProbeResult.failed("probe error: " + Reasons.of(e)));
            return result;
        }
        // a timeout (the checker completes the stage) must not leak the socket
        result.whenComplete((r, t) -> exchange.close());
        try {
            channel.configureBlocking(false);
            if (tls != null) {
                // a TLS exchange writes its Finished and then the request as separate writes: without
                // this, Nagle holds the request until the backend's delayed ACK (40 ms on Linux)
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            boolean connected = channel.connect(target.address());
            exchange.key = channel.register(loopTarget.loop().selector(),
                    connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, exchange);
        } catch (IOException | RuntimeException e) {
            result.complete(ProbeResult.failed(Reasons.of(e)));
        }
        return result;
    }

    @Override
    public void ready(SelectionKey k, int readyOps) {
        if (result.isDone()) {
            return;
        }
        try {
            if ((readyOps & SelectionKey.OP_CONNECT) != 0) {
                if (!channel.finishConnect()) {
                    return;
                }
                key.interestOps(SelectionKey.OP_WRITE);
            }
            if (tls != null) {
                tls.advance(key);
                return;
            }
            if ((readyOps & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0 && request.hasRemaining()) {
                channel.write(request);
                if (!request.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_READ);
                }
                return;
            }
            if ((readyOps & SelectionKey.OP_READ) != 0) {
                read();
            }
        } catch (IOException e) {
            result.complete(ProbeResult.failed(tls != null ? tls.reason(e) : Reasons.of(e)));
        } catch (RuntimeException e) {
            result.complete(ProbeResult.failed(tls != null ? tls.reason(e) : "probe error: " + Reasons.of(e)));
        }
    }

    private void read() throws IOException {
        int n = channel.read(in);
        if (n == 0 && in.hasRemaining()) {
            return;
        }
        ProbeResult verdict = conversation.verdict(head, in.position(), n < 0);
        if (verdict == null) {
            return;
        }
        byte[] farewell = n < 0 ? null : conversation.farewell(verdict);
        if (farewell != null) {
            channel.write(ByteBuffer.wrap(farewell)); // a few bytes into an empty send buffer: best effort
        }
        result.complete(verdict);
    }

    private void close() {
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // a probe socket: nothing to report
        }
    }

    private static ProbeResult blocking(HealthProbe.Target target, Conversation conversation, TlsClient tls) {
        int timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, target.timeout().toMillis()));
        boolean handshaking = false;
        try (Socket plain = new Socket()) {
            InetSocketAddress address = target.address();
            plain.connect(address, timeoutMs);
            plain.setSoTimeout(timeoutMs);
            Socket socket = plain;
            if (tls != null) {
                if (target.proxyProtocol() != null) {
                    plain.getOutputStream().write(target.proxyProtocol().localHeader());
                }
                handshaking = true;
                SSLSocket secure = tls.socket(plain, target);
                secure.startHandshake();
                handshaking = false;
                socket = secure;
                socket.getOutputStream().write(conversation.request());
            } else {
                socket.getOutputStream().write(requestBytes(target, conversation));
            }
            InputStream input = socket.getInputStream();
            byte[] head = new byte[Conversation.MAX_HEAD_BYTES];
            int length = 0;
            while (true) {
                int n = input.read(head, length, head.length - length);
                if (n > 0) {
                    length += n;
                }
                ProbeResult verdict = conversation.verdict(head, length, n < 0);
                if (verdict != null) {
                    byte[] farewell = n < 0 ? null : conversation.farewell(verdict);
                    if (farewell != null) {
                        socket.getOutputStream().write(farewell);
                    }
                    socket.close();
                    return verdict;
                }
            }
        } catch (SocketTimeoutException e) {
            return ProbeResult.failed(handshaking ? "tls: handshake timed out" : Reasons.of(e));
        } catch (IOException e) {
            return ProbeResult.failed(tls != null && (handshaking || e instanceof SSLException)
                    ? TlsExchange.tlsReason(e) : Reasons.of(e));
        }
    }
}
