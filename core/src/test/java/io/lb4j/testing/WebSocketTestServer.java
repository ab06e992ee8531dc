package io.lb4j.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket server for tests (RFC 6455 opening handshake, computed here independently of lb4j):
 * answers an upgrade with 101 and the right (or, on request, a wrong) {@code Sec-WebSocket-Accept},
 * answers a plain GET with 426 as many WebSocket servers do, and counts the close frames (masked,
 * status 1000) clients send after the handshake.
 */
public final class WebSocketTestServer implements AutoCloseable {
    private final AtomicInteger upgrades = new AtomicInteger();
    private final AtomicInteger cleanCloses = new AtomicInteger();
    private final AtomicInteger plainGets = new AtomicInteger();
    private final HttpTestServer http;

    private WebSocketTestServer(boolean correctAccept) throws IOException {
        this.http = HttpTestServer.start((head, socket, server) -> respond(head, socket, correctAccept));
    }

    private WebSocketTestServer(javax.net.ssl.SSLContext tls) throws IOException {
        this.http = HttpTestServer.startTls(tls, (head, socket, server) -> respond(head, socket, true));
    }

    /** A {@code wss} server (an SSLServerSocket with {@code tls}) that answers handshakes correctly. */
    public static WebSocketTestServer startTls(javax.net.ssl.SSLContext tls) throws IOException {
        return new WebSocketTestServer(tls);
    }

    /** A server that answers handshakes correctly. */
    public static WebSocketTestServer start() throws IOException {
        return new WebSocketTestServer(true);
    }

    /** A server that answers 101 with a wrong {@code Sec-WebSocket-Accept}. */
    public static WebSocketTestServer withWrongAccept() throws IOException {
        return new WebSocketTestServer(false);
    }

    /** RFC 6455 4.2.2: base64(SHA-1(key + GUID)). */
    public static String acceptFor(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] d = sha1.digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void respond(String head, Socket socket, boolean correctAccept) throws IOException {
        OutputStream out = socket.getOutputStream();
        String key = HttpTestServer.header(head, "Sec-WebSocket-Key");
        String upgrade = HttpTestServer.header(head, "Upgrade");
        if (key == null || upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            plainGets.incrementAndGet();
            out.write(("HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return;
        }
        upgrades.incrementAndGet();
        String accept = correctAccept ? acceptFor(key) : acceptFor(key + "x");
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        readCloseFrame(new DataInputStream(socket.getInputStream()));
    }

    /** Reads one frame; counts it when it is a masked close frame carrying status 1000. */
    private void readCloseFrame(DataInputStream in) {
        try {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            int length = b1 & 0x7f;
            boolean masked = (b1 & 0x80) != 0;
            if (b0 != 0x88 || !masked || length != 2) {
                return;
            }
            byte[] mask = new byte[4];
            in.readFully(mask);
            int status = ((in.readUnsignedByte() ^ (mask[0] & 0xff)) << 8) | (in.readUnsignedByte() ^ (mask[1] & 0xff));
            if (status == 1000) {
                cleanCloses.incrementAndGet();
            }
        } catch (IOException e) {
            // the client closed without a frame
        }
    }

    /** Handshakes answered with 101. */
    public int upgrades() {
        return upgrades.get();
    }

    /** Masked close frames with status 1000 received after a handshake. */
    public int cleanCloses() {
        return cleanCloses.get();
    }

    /** Plain (non-upgrade) requests answered with 426. */
    public int plainGets() {
        return plainGets.get();
    }

    /** Request heads received so far. */
    public List<String> requests() {
        return http.requests();
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return http.address();
    }

    /** The bound port. */
    public int port() {
        return http.port();
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
