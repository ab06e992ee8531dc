package io.lb4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A non-blocking TCP echo server on loopback, one thread, for tests that need many connections.
 * Echoes every byte back in order; half-closes its output once the client has half-closed and
 * everything is echoed. Counts connections accepted and open.
 */
public final class EchoServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean running = true;

    private static final class Conn {
        final ByteBuffer pending = ByteBuffer.allocate(64 * 1024);
        boolean eof;
    }

    private EchoServer(InetSocketAddress bind) throws IOException {
        server = ServerSocketChannel.open();
        server.bind(bind, 4096);
        server.configureBlocking(false);
        selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = new Thread(this::loop, "echo-" + port());
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts on 127.0.0.1 and a free port. */
    public static EchoServer start() {
        return start(new InetSocketAddress("127.0.0.1", 0));
    }

    /** Starts on {@code bind}. */
    public static EchoServer start(InetSocketAddress bind) {
        try {
            return new EchoServer(bind);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The listening port. */
    public int port() {
        return server.socket().getLocalPort();
    }

    /** {@code 127.0.0.1:PORT}. */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    /** Connections accepted since start. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections open now. */
    public int open() {
        return open.get();
    }

    private void loop() {
        try {
            while (running) {
                selector.select(key -> {
                    try {
                        handle(key);
                    } catch (IOException e) {
                        drop(key);
                    }
                }, 100);
            }
        } catch (IOException | RuntimeException e) {
            // closed under us: the test is over
        }
    }

    private void handle(SelectionKey key) throws IOException {
        if (key.isAcceptable()) {
            SocketChannel ch;
            while ((ch = server.accept()) != null) {
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, new Conn());
                accepted.incrementAndGet();
                open.incrementAndGet();
            }
            return;
        }
        SocketChannel ch = (SocketChannel) key.channel();
        Conn c = (Conn) key.attachment();
        if (key.isReadable() && c.pending.position() == 0) {
            int n = ch.read(c.pending);
            if (n < 0) {
                c.eof = true;
            }
        }
        if (c.pending.position() > 0) {
            c.pending.flip();
            ch.write(c.pending);
            c.pending.compact();
        }
        if (c.pending.position() > 0) {
            key.interestOps(SelectionKey.OP_WRITE);
        } else if (c.eof) {
            drop(key);
        } else {
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void drop(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // dropping anyway
        }
        open.decrementAndGet();
    }

    /**
     * Dies like a crashed process: every open connection is reset (RST, {@code SO_LINGER} 0) and the
     * port is closed.
     */
    public void kill() {
        shutDown(true);
    }

    @Override
    public void close() {
        shutDown(false);
    }

    private void shutDown(boolean reset) {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
            for (SelectionKey key : new ArrayList<>(selector.keys())) {
                // a connection the server dropped itself keeps its cancelled key until the next select,
                // which the stopped thread never runs: its channel is closed already
                if (reset && key.channel() instanceof SocketChannel && key.channel().isOpen()) {
                    ((SocketChannel) key.channel()).setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                }
                key.channel().close();
            }
            selector.close();
            server.close();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
