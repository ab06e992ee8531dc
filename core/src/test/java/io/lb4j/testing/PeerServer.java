package io.lb4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback server that hands each accepted socket to the test, so the test plays the backend by
 * hand: reads, writes, half-closes, resets.
 */
public final class PeerServer implements AutoCloseable {
    private final ServerSocket server;
    private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
    private final List<Socket> all = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private PeerServer() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        thread = new Thread(this::acceptLoop, "peer-" + server.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts on 127.0.0.1 and a free port. */
    public static PeerServer start() {
        try {
            return new PeerServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The listening port. */
    public int port() {
        return server.getLocalPort();
    }

    /** {@code 127.0.0.1:PORT}. */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    /** Sockets accepted so far. */
    public int acceptedCount() {
        return all.size();
    }

    /**
     * The next accepted socket.
     *
     * @throws AssertionError when none arrives within {@code timeout}
     */
    public Socket next(Duration timeout) {
        try {
            Socket s = accepted.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (s == null) {
                throw new AssertionError("no connection reached the backend within " + timeout.toMillis() + " ms");
            }
            s.setSoTimeout(10_000);
            return s;
        } catch (InterruptedException | IOException e) {
            throw new AssertionError(e);
        }
    }

    private void acceptLoop() {
        try {
            while (!server.isClosed()) {
                Socket s = server.accept();
                all.add(s);
                accepted.add(s);
            }
        } catch (IOException e) {
            // closed: the test is over
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            for (Socket s : all) {
                s.close();
            }
            thread.join(5000);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
