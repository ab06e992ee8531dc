package io.lb4j.testing;

import io.lb4j.Backend;
import io.lb4j.internal.proxy.ProxyHeader;
import io.lb4j.internal.proxy.ProxyHeaderParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking echo backend on loopback, a thread per connection, that counts what a test of limits and
 * queues asks about: connections accepted, open now and the most open at once. It records each
 * connection's first byte (a client's id) and, when asked to, reads a PROXY header first and records it.
 * A connection's end is counted before its socket closes, so the balancer (which frees its slot only once
 * the backend's side has closed) can never be ahead of the count.
 */
public final class CountingEchoServer implements AutoCloseable {
    /** Connections accepted since start. */
    public final AtomicInteger accepted = new AtomicInteger();
    /** Connections open now. */
    public final AtomicInteger current = new AtomicInteger();
    /** The most connections open at once. */
    public final AtomicInteger most = new AtomicInteger();
    /** The first byte of each connection (after a PROXY header), in arrival order. */
    public final BlockingQueue<Integer> firstBytes = new LinkedBlockingQueue<>();
    /** The PROXY header of each connection, when started with {@code readsProxyHeader}. */
    public final BlockingQueue<ProxyHeader> headers = new LinkedBlockingQueue<>();

    private final ServerSocket server;
    private final boolean readsProxyHeader;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    private CountingEchoServer(boolean readsProxyHeader) throws IOException {
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        this.readsProxyHeader = readsProxyHeader;
        threads.execute(this::acceptLoop);
    }

    /** Starts on 127.0.0.1 and a free port; with {@code readsProxyHeader}, each connection begins with one. */
    public static CountingEchoServer start(boolean readsProxyHeader) {
        try {
            return new CountingEchoServer(readsProxyHeader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:PORT}. */
    public String hostPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** This server as a backend of weight 1 taking at most {@code maxConnections} at once. */
    public Backend backend(int maxConnections) {
        return new Backend("127.0.0.1", server.getLocalPort(), 1, maxConnections, Backend.AdminState.UP);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            most.accumulateAndGet(current.incrementAndGet(), Math::max);
            threads.execute(() -> serve(s));
        }
    }

    private void serve(Socket s) {
        try {
            s.setSoTimeout(20_000);
            InputStream in = s.getInputStream();
            byte[] buffer = new byte[4096];
            boolean first = true;
            if (readsProxyHeader) {
                int have = 0;
                ProxyHeader header = null;
                while (header == null) {
                    int n = in.read(buffer, have, buffer.length - have);
                    if (n < 0) {
                        return;
                    }
                    have += n;
                    header = ProxyHeaderParser.parse(ByteBuffer.wrap(buffer, 0, have));
                }
                headers.add(header);
                first = echo(s, buffer, header.length(), have - header.length(), first);
            }
            int n;
            while ((n = in.read(buffer)) >= 0) {
                first = echo(s, buffer, 0, n, first);
            }
        } catch (IOException | ProxyHeaderParser.Malformed e) {
            // the test sees the connection end
        } finally {
            current.decrementAndGet();
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Writes the bytes back; returns whether the connection's first byte is still to come. */
    private boolean echo(Socket s, byte[] buffer, int offset, int length, boolean first) throws IOException {
        if (length <= 0) {
            return first;
        }
        if (first) {
            firstBytes.add(buffer[offset] & 0xFF);
        }
        s.getOutputStream().write(buffer, offset, length);
        return false;
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
