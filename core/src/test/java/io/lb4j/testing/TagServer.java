package io.lb4j.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP server on loopback that writes one tag byte to every connection it accepts and then holds
 * the connection until the peer closes, so a test can tell which backend a client reached. Can be
 * bound to a given port again after {@link #close()} (a backend that returns).
 */
public final class TagServer implements AutoCloseable {
    private final ServerSocket server;
    private final byte tag;
    private final Thread acceptor;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();

    private TagServer(char tag, int port) throws IOException {
        this.tag = (byte) tag;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        this.acceptor = new Thread(this::acceptLoop, "tag-server-" + tag);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts on a free port. */
    public static TagServer start(char tag) throws IOException {
        return new TagServer(tag, 0);
    }

    /** Starts on {@code port} (to bring a closed server back). */
    public static TagServer start(char tag, int port) throws IOException {
        return new TagServer(tag, port);
    }

    /** {@code 127.0.0.1:PORT}. */
    public String hostPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The bound port. */
    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections open now. */
    public int open() {
        return sockets.size();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                sockets.add(s);
                s.getOutputStream().write(tag);
                Thread reader = new Thread(() -> hold(s), acceptor.getName() + "-conn");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                // closed, or the client left
            }
        }
    }

    private void hold(Socket s) {
        try (s; InputStream in = s.getInputStream()) {
            while (in.read() >= 0) {
                // discard until the peer closes
            }
        } catch (IOException e) {
            // closed
        } finally {
            sockets.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
