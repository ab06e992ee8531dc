package io.lb4j.internal.probe;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.internal.loop.Handler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@link HealthProbe#tcp()}: a non-blocking connect on the probing loop; healthy once the handshake
 * completes. The socket is then closed at once, after a PROXY protocol {@code LOCAL} header when the
 * balancer sends PROXY headers (as HAProxy's {@code check-send-proxy}), so that a backend requiring one
 * does not log every check as a bad client. Outside the engine it falls back to a blocking connect.
 */
public final class TcpProbe implements HealthProbe {
    /** The one instance: the probe has no state. */
    public static final TcpProbe INSTANCE = new TcpProbe();

    private TcpProbe() {
    }

    @Override
    public CompletionStage<ProbeResult> check(Target target) {
        if (target instanceof LoopTarget) {
            return connect((LoopTarget) target);
        }
        return CompletableFuture.supplyAsync(() -> blockingConnect(target));
    }

    private static CompletionStage<ProbeResult> connect(LoopTarget target) {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        SocketChannel channel;
        try {
            channel = SocketChannel.open();
        } catch (IOException e) {
            result.complete(ProbeResult.failed("cannot open socket: " + e.getMessage()));
            return result;
        }
        try {
            channel.configureBlocking(false);
            if (channel.connect(target.address())) {
                sendLocalHeader(channel, target);
                result.complete(ProbeResult.ok());
                closeQuietly(channel);
                return result;
            }
            SelectionKey key = channel.register(target.loop().selector(), SelectionKey.OP_CONNECT,
                    (Handler) (k, ops) -> {
                        try {
                            channel.finishConnect();
                            sendLocalHeader(channel, target); // before completing: that closes the socket
                            result.complete(ProbeResult.ok());
                        } catch (IOException e) {
                            result.complete(ProbeResult.failed(Reasons.of(e)));
                        }
                        closeQuietly(channel);
                    });
            // a timeout (the checker completes the stage) must not leak the socket
            result.whenComplete((r, t) -> {
                key.cancel();
                closeQuietly(channel);
            });
        } catch (IOException e) {
            result.complete(ProbeResult.failed(Reasons.of(e)));
            closeQuietly(channel);
        }
        return result;
    }

    /** A few bytes into an empty send buffer: written at once or not at all (the verdict stands). */
    private static void sendLocalHeader(SocketChannel channel, Target target) {
        if (target.proxyProtocol() == null) {
            return;
        }
        try {
            channel.write(ByteBuffer.wrap(target.proxyProtocol().localHeader()));
        } catch (IOException e) {
            // the backend already closed: the connect succeeded, which is what this probe checks
        }
    }

    private static ProbeResult blockingConnect(Target target) {
        try (Socket socket = new Socket()) {
            InetSocketAddress address = target.address();
            socket.connect(address, (int) Math.max(1, target.timeout().toMillis()));
            if (target.proxyProtocol() != null) {
                socket.getOutputStream().write(target.proxyProtocol().localHeader());
            }
            return ProbeResult.ok();
        } catch (IOException e) {
            return ProbeResult.failed(Reasons.of(e));
        }
    }

    static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // a probe socket: nothing to report
        }
    }
}
