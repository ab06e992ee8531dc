package io.lb4j.internal.probe;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.internal.loop.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One request-response probe over HTTP/1.1 (the HTTP and WebSocket-handshake probes): connect, send
 * the request, read at most {@link #MAX_HEAD_BYTES} until the response head is complete, judge it,
 * optionally send a farewell, close. On the engine it runs non-blocking on the probing loop's selector
 * (no thread of its own); a target from outside the engine gets a blocking fallback.
 */
final class HttpExchange implements Handler {
    /** The most of a response a probe reads; a longer head is a failure. */
    static final int MAX_HEAD_BYTES = 8192;

    /** What one probe says and how it judges the answer. */
    interface Conversation {
        /** The request bytes, head only. */
        byte[] request();

        /** The verdict on a well-formed response head. */
        ProbeResult judge(HttpHead head);

        /** Bytes to send before closing after a verdict (a WebSocket close frame), or {@code null}. */
        default byte[] farewell(ProbeResult verdict) {
            return null;
        }
    }

    private final Conversation conversation;
    private final SocketChannel channel;
    private final CompletableFuture<ProbeResult> result;
    private final ByteBuffer request;
    private final byte[] head = new byte[MAX_HEAD_BYTES];
    private final ByteBuffer in = ByteBuffer.wrap(head);
    private SelectionKey key;

    private HttpExchange(Conversation conversation, SocketChannel channel, CompletableFuture<ProbeResult> result,
                         HealthProbe.Target target) {
        this.conversation = conversation;
        this.channel = channel;
        this.result = result;
        this.request = ByteBuffer.wrap(requestBytes(target, conversation));
    }

    /** The request, after a PROXY protocol LOCAL header when the balancer sends PROXY headers. */
    private static byte[] requestBytes(HealthProbe.Target target, Conversation conversation) {
        byte[] request = conversation.request();
        if (target.proxyProtocol() == null) {
            return request;
        }
        byte[] header = target.proxyProtocol().localHeader();
        byte[] both = java.util.Arrays.copyOf(header, header.length + request.length);
        System.arraycopy(request, 0, both, header.length, request.length);
        return both;
    }

    /** Runs {@code conversation} against the target; the stage completes with the verdict. */
    static CompletionStage<ProbeResult> run(HealthProbe.Target target, Conversation conversation) {
        if (!(target instanceof LoopTarget)) {
            return CompletableFuture.supplyAsync(() -> blocking(target, conversation));
        }
        LoopTarget loopTarget = (LoopTarget) target;
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        SocketChannel channel;
        try {
            channel = SocketChannel.open();
        } catch (IOException e) {
            result.complete(ProbeResult.failed("cannot open socket: " + e.getMessage()));
            return result;
        }
        HttpExchange exchange = new HttpExchange(conversation, channel, result, target);
        // a timeout (the checker completes the stage) must not leak the socket
        result.whenComplete((r, t) -> exchange.close());
        try {
            channel.configureBlocking(false);
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
            result.complete(ProbeResult.failed(Reasons.of(e)));
        } catch (RuntimeException e) {
            result.complete(ProbeResult.failed("probe error: " + Reasons.of(e)));
        }
    }

    private void read() throws IOException {
        int n = channel.read(in);
        if (n == 0 && in.hasRemaining()) {
            return;
        }
        HttpHead parsed = HttpHead.parse(head, in.position(), n < 0);
        if (parsed == null) {
            if (!in.hasRemaining()) {
                result.complete(ProbeResult.failed("response head over " + MAX_HEAD_BYTES + " bytes"));
            }
            return;
        }
        ProbeResult verdict = parsed.error() != null ? ProbeResult.failed(parsed.error()) : conversation.judge(parsed);
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

    private static ProbeResult blocking(HealthProbe.Target target, Conversation conversation) {
        int timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, target.timeout().toMillis()));
        try (Socket socket = new Socket()) {
            InetSocketAddress address = target.address();
            socket.connect(address, timeoutMs);
            socket.setSoTimeout(timeoutMs);
            socket.getOutputStream().write(requestBytes(target, conversation));
            InputStream input = socket.getInputStream();
            byte[] head = new byte[MAX_HEAD_BYTES];
            int length = 0;
            while (true) {
                int n = input.read(head, length, head.length - length);
                if (n > 0) {
                    length += n;
                }
                HttpHead parsed = HttpHead.parse(head, length, n < 0);
                if (parsed != null) {
                    ProbeResult verdict = parsed.error() != null ? ProbeResult.failed(parsed.error())
                            : conversation.judge(parsed);
                    byte[] farewell = n < 0 ? null : conversation.farewell(verdict);
                    if (farewell != null) {
                        socket.getOutputStream().write(farewell);
                    }
                    return verdict;
                }
                if (length == head.length) {
                    return ProbeResult.failed("response head over " + MAX_HEAD_BYTES + " bytes");
                }
            }
        } catch (IOException e) {
            return ProbeResult.failed(Reasons.of(e));
        }
    }
}
