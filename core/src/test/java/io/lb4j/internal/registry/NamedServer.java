package io.lb4j.internal.registry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for tests on 127.0.0.1: greets each connection with its name and a newline, then echoes
 * every byte. One thread and one selector, so a thousand idle connections cost no threads.
 */
final class NamedServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    private final String name;
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean closed;

    NamedServer() throws IOException {
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2048);
        server.configureBlocking(false);
        selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        name = "127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort();
        thread = new Thread(this::run, "named-server-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code 127.0.0.1:PORT}: also the backend's name in the balancer. */
    String name() {
        return name;
    }

    int port() {
        return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort();
    }

    /** Connections open now. */
    int open() {
        return open.get();
    }

    private void run() {
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        byte[] greeting = (name + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            while (!closed) {
                selector.select(key -> {
                    try {
                        if (key.isAcceptable()) {
                            SocketChannel c;
                            while ((c = server.accept()) != null) {
                                c.configureBlocking(false);
                                c.write(ByteBuffer.wrap(greeting)); // fits any empty send buffer
                                c.register(selector, SelectionKey.OP_READ);
                                open.incrementAndGet();
                            }
                        } else if (key.isReadable()) {
                            SocketChannel c = (SocketChannel) key.channel();
                            buffer.clear();
                            int n = c.read(buffer);
                            if (n < 0) {
                                key.cancel();
                                c.close();
                                open.decrementAndGet();
                                return;
                            }
                            buffer.flip();
                            while (buffer.hasRemaining()) {
                                c.write(buffer); // small test payloads: the send buffer takes them
                            }
                        }
                    } catch (IOException e) {
                        key.cancel();
                        try {
                            key.channel().close();
                        } catch (IOException ignored) {
                            // gone
                        }
                        if (!(key.channel() instanceof ServerSocketChannel)) {
                            open.decrementAndGet();
                        }
                    }
                }, 100);
            }
        } catch (IOException | RuntimeException e) {
            // closing
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        selector.wakeup();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        selector.close();
        server.close();
    }
}
