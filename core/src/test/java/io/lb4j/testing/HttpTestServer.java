package io.lb4j.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A tiny HTTP/1.1 server on 127.0.0.1 for tests: one thread per connection, reads one request head,
 * then lets a {@link Responder} answer on the raw socket (so tests can send garbage, nothing, or answer
 * late). Records every request head. {@link #close()} closes every socket and joins every thread.
 */
public final class HttpTestServer implements AutoCloseable {

    /** Answers one request on the raw socket; the server closes the socket afterwards. */
    @FunctionalInterface
    public interface Responder {
        void respond(String requestHead, Socket socket, HttpTestServer server) throws IOException;
    }

    private final ServerSocket server;
    private final Responder responder;
    private final Thread acceptor;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);

    private HttpTestServer(Responder responder) throws IOException {
        this(responder, new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    }

    private HttpTestServer(Responder responder, ServerSocket server) {
        this.responder = responder;
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "http-test-server-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** Starts a server on a free loopback port. */
    public static HttpTestServer start(Responder responder) throws IOException {
        return new HttpTestServer(responder);
    }

    /** Starts an HTTPS server on a free loopback port: TLS with {@code context}, then as {@link #start}. */
    public static HttpTestServer startTls(javax.net.ssl.SSLContext context, Responder responder) throws IOException {
        return startTls(context, false, responder);
    }

    /** As {@link #startTls(javax.net.ssl.SSLContext, Responder)}; with {@code needClientAuth}, mutual TLS. */
    public static HttpTestServer startTls(javax.net.ssl.SSLContext context, boolean needClientAuth, Responder responder)
            throws IOException {
        javax.net.ssl.SSLServerSocket server = (javax.net.ssl.SSLServerSocket) context.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(needClientAuth);
        return new HttpTestServer(responder, server);
    }

    /** Answers with {@code status} and a two-byte body. */
    public static Responder status(int status) {
        return raw("HTTP/1.1 " + status + " Test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    }

    /** Writes exactly {@code response} (ISO-8859-1), whatever it is. */
    public static Responder raw(String response) {
        return (head, socket, server) -> {
            OutputStream out = socket.getOutputStream();
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        };
    }

    /** Reads the request and never answers; the connection stays open until the client or close() ends it. */
    public static Responder silent() {
        return (head, socket, server) -> server.awaitClose(Duration.ofMinutes(1), socket);
    }

    /** Answers with {@code then} after {@code delay} (cut short by close()). */
    public static Responder after(Duration delay, Responder then) {
        return (head, socket, server) -> {
            if (!server.awaitClose(delay, null)) {
                then.respond(head, socket, server);
            }
        };
    }

    /** Waits up to {@code max} for close(); true when closed. With a socket, also ends when the peer closes. */
    boolean awaitClose(Duration max, Socket watch) throws IOException {
        if (watch == null) {
            try {
                return closed.await(max.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        // block on read: returns when the client closes, or fails when close() closes the socket
        watch.setSoTimeout((int) max.toMillis());
        try {
            while (watch.getInputStream().read() >= 0) {
                // discard
            }
        } catch (IOException e) {
            // closed or timed out
        }
        return true;
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** The bound port. */
    public int port() {
        return server.getLocalPort();
    }

    /** Request heads received so far, in order. */
    public List<String> requests() {
        return new ArrayList<>(requests);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(socket);
            Thread t = new Thread(() -> serve(socket), acceptor.getName() + "-conn");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(10_000);
            String head = readHead(socket.getInputStream());
            if (head == null) {
                return;
            }
            requests.add(head);
            responder.respond(head, socket, this);
        } catch (IOException e) {
            // the client went away: fine for a test server
        } finally {
            sockets.remove(socket);
        }
    }

    /** Reads up to and including the blank line; {@code null} if the peer closed first. */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int state = 0;
        while (bytes.size() < 65536) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            bytes.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                return bytes.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    /** A header's value in a request head, by case-insensitive name, or {@code null}. */
    public static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closed.countDown();
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        try {
            acceptor.join(5_000);
            for (Thread t : threads) {
                t.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
