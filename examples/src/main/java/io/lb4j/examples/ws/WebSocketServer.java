package io.lb4j.examples.ws;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small, honest RFC 6455 WebSocket server for the demo and the examples: an echo "chat" that tags
 * every reply with the server's name, so a client can see which backend answered.
 *
 * <p>What it does, by the RFC: the opening handshake of section 4.2 (GET with {@code Upgrade:
 * websocket}, {@code Connection: Upgrade}, {@code Sec-WebSocket-Version: 13} and a key, answered
 * with 101 and {@code Sec-WebSocket-Accept}); frames as in section 5.2 with 7, 16 and 64-bit
 * lengths; client frames must be masked (5.1, else close 1002) and are unmasked (5.3); text and
 * binary messages, fragmented ones reassembled (5.4); ping answered with pong (5.5.2); the close
 * handshake answered in kind (5.5.1); invalid UTF-8 in text closes with 1007 (8.1), messages above
 * {@link #MAX_MESSAGE_BYTES} with 1009. A text message {@code m} is answered with
 * {@code "<name>: m"}, a binary one is echoed as is.
 *
 * <p>One thread per connection with blocking sockets: it is a test peer, simple beats fast here.
 * {@link #kill()} stops it abruptly (listener closed, every connection reset), as a crashed process
 * would; {@link #start()} brings it back on the same port.
 */
public final class WebSocketServer implements AutoCloseable {
    /** Largest message accepted, in bytes; a bigger one is closed with status 1009. */
    public static final int MAX_MESSAGE_BYTES = 1 << 20;
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"; // RFC 6455, 1.3
    private static final int MAX_HEADER_BYTES = 8192;

    private final String name;
    private final String path;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicLong totalConnections = new AtomicLong();
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong protocolErrors = new AtomicLong();
    private volatile ServerSocket listener;
    private volatile int port;

    /**
     * A server that answers WebSocket upgrades on {@code path}; not yet listening.
     *
     * @param name tags every reply, e.g. {@code "backend-1"}
     * @param path the request path that is upgraded, e.g. {@code "/chat"}; others get 404
     */
    public WebSocketServer(String name, String path) {
        this.name = name;
        this.path = path;
    }

    /**
     * Listens on 127.0.0.1: on a free port the first time, on the same port after {@link #kill()}.
     *
     * @return this server
     * @throws UncheckedIOException when the port cannot be bound
     */
    public synchronized WebSocketServer start() {
        if (listener != null) {
            throw new IllegalStateException("start: " + name + " is already running");
        }
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true); // rebind the same port while old connections sit in TIME_WAIT
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
            port = socket.getLocalPort();
            listener = socket;
            Thread acceptor = new Thread(() -> acceptLoop(socket), name + "-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("bind " + name + " on port " + port, e);
        }
    }

    /** Stops as a crash would: the listener closes and every open connection is reset. Idempotent. */
    public synchronized void kill() {
        ServerSocket socket = listener;
        listener = null;
        if (socket != null) {
            closeQuietly(socket);
        }
        for (Socket s : open) {
            try {
                s.setSoLinger(true, 0); // RST instead of FIN: the peer sees the connection die
            } catch (SocketException ignored) {
                // already closed
            }
            closeQuietly(s);
        }
    }

    /** Same as {@link #kill()}. */
    @Override
    public void close() {
        kill();
    }

    /** @return the name that tags replies */
    public String name() {
        return name;
    }

    /** @return the listening port (kept across {@link #kill()} and {@link #start()}) */
    public int port() {
        return port;
    }

    /** @return whether it is listening now */
    public boolean running() {
        return listener != null;
    }

    /** @return WebSocket connections open now (after a successful handshake) */
    public int activeConnections() {
        return activeConnections.get();
    }

    /** @return WebSocket connections that completed the handshake since construction */
    public long totalConnections() {
        return totalConnections.get();
    }

    /** @return complete data messages received (text and binary) since construction */
    public long messages() {
        return messages.get();
    }

    /** @return connections closed because the peer broke the protocol (1002, 1007, 1009) */
    public long protocolErrors() {
        return protocolErrors.get();
    }

    /**
     * The {@code Sec-WebSocket-Accept} value for a client's key (RFC 6455, section 4.2.2).
     *
     * @param key the client's {@code Sec-WebSocket-Key}
     * @return base64 of the SHA-1 of the key and the RFC's GUID
     */
    public static String acceptKey(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    private void acceptLoop(ServerSocket socket) {
        while (!socket.isClosed()) {
            Socket s;
            try {
                s = socket.accept();
            } catch (IOException e) {
                return; // closed by kill()
            }
            open.add(s);
            if (listener != socket) { // killed between accept and add: do not leak it
                open.remove(s);
                closeQuietly(s);
                continue;
            }
            Thread t = new Thread(() -> serve(s), name + "-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket socket) {
        boolean upgraded = false;
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            if (!handshake(in, out)) {
                return;
            }
            upgraded = true;
            activeConnections.incrementAndGet();
            totalConnections.incrementAndGet();
            frames(in, out);
        } catch (IOException e) {
            // peer gone or killed: nothing to answer
        } finally {
            open.remove(socket);
            if (upgraded) {
                activeConnections.decrementAndGet();
            }
        }
    }

    /** Reads the request head and answers 101, or an error status and false. */
    private boolean handshake(InputStream in, OutputStream out) throws IOException {
        String head = readHead(in);
        if (head == null) {
            return false;
        }
        String[] lines = head.split("\r\n");
        String[] request = lines[0].split(" ");
        String key = null;
        String upgrade = "";
        String connection = "";
        String version = "";
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String field = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (field) {
                case "sec-websocket-key" -> key = value;
                case "upgrade" -> upgrade = value.toLowerCase(Locale.ROOT);
                case "connection" -> connection = value.toLowerCase(Locale.ROOT);
                case "sec-websocket-version" -> version = value;
                default -> { }
            }
        }
        if (request.length != 3 || !request[0].equals("GET") || !request[2].startsWith("HTTP/1.1")) {
            return reject(out, "400 Bad Request");
        }
        String target = request[1];
        int query = target.indexOf('?');
        if (!(query < 0 ? target : target.substring(0, query)).equals(path)) {
            return reject(out, "404 Not Found");
        }
        boolean connectionUpgrade = false;
        for (String token : connection.split(",")) {
            connectionUpgrade |= token.trim().equals("upgrade");
        }
        if (!upgrade.equals("websocket") || !connectionUpgrade || key == null || key.isEmpty()) {
            return reject(out, "426 Upgrade Required\r\nSec-WebSocket-Version: 13");
        }
        if (!version.equals("13")) {
            return reject(out, "426 Upgrade Required\r\nSec-WebSocket-Version: 13");
        }
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return true;
    }

    private static boolean reject(OutputStream out, String status) throws IOException {
        out.write(("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return false;
    }

    private static String readHead(InputStream in) throws IOException {
        byte[] head = new byte[MAX_HEADER_BYTES];
        int n = 0;
        while (n < head.length) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head[n++] = (byte) b;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n') {
                return new String(head, 0, n - 4, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    /** The frame loop of section 5: returns when the connection is to be closed. */
    private void frames(InputStream in, OutputStream out) throws IOException {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        int messageOpcode = -1; // opcode of the fragmented message in progress, -1 when none
        while (true) {
            int b0 = readByte(in);
            int b1 = readByte(in);
            boolean fin = (b0 & 0x80) != 0;
            int opcode = b0 & 0x0F;
            boolean masked = (b1 & 0x80) != 0;
            long length = b1 & 0x7F;
            if (length == 126) {
                length = (readByte(in) << 8) | readByte(in);
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | readByte(in);
                }
            }
            if ((b0 & 0x70) != 0 || !masked || length < 0) { // no extensions negotiated; 5.1: clients mask
                failConnection(out, 1002, "protocol error");
                return;
            }
            boolean control = (opcode & 0x08) != 0;
            if (control && (length > 125 || !fin)) { // 5.5: control frames are short and whole
                failConnection(out, 1002, "bad control frame");
                return;
            }
            if (length + message.size() > MAX_MESSAGE_BYTES) {
                failConnection(out, 1009, "message too big");
                return;
            }
            byte[] mask = in.readNBytes(4);
            byte[] payload = in.readNBytes((int) length);
            if (mask.length < 4 || payload.length < length) {
                throw new EOFException();
            }
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
            switch (opcode) {
                case 0x0 -> { // continuation
                    if (messageOpcode < 0) {
                        failConnection(out, 1002, "continuation without a message");
                        return;
                    }
                    message.write(payload);
                }
                case 0x1, 0x2 -> {
                    if (messageOpcode >= 0) {
                        failConnection(out, 1002, "new message inside a fragmented one");
                        return;
                    }
                    messageOpcode = opcode;
                    message.write(payload);
                }
                case 0x8 -> { // close: answer with the same status (5.5.1), then close the TCP connection
                    writeFrame(out, 0x8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]);
                    return;
                }
                case 0x9 -> {
                    writeFrame(out, 0xA, payload);
                    continue;
                }
                case 0xA -> {
                    continue; // unsolicited pong: ignored (5.5.3)
                }
                default -> {
                    failConnection(out, 1002, "unknown opcode " + opcode);
                    return;
                }
            }
            if (!fin) {
                continue;
            }
            byte[] whole = message.toByteArray();
            message.reset();
            int kind = messageOpcode;
            messageOpcode = -1;
            if (kind == 0x1) {
                String text;
                try {
                    text = StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(whole)).toString();
                } catch (CharacterCodingException e) {
                    failConnection(out, 1007, "invalid UTF-8");
                    return;
                }
                messages.incrementAndGet();
                writeFrame(out, 0x1, (name + ": " + text).getBytes(StandardCharsets.UTF_8));
            } else {
                messages.incrementAndGet();
                writeFrame(out, 0x2, whole);
            }
        }
    }

    private void failConnection(OutputStream out, int status, String reason) throws IOException {
        protocolErrors.incrementAndGet();
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + text.length];
        payload[0] = (byte) (status >> 8);
        payload[1] = (byte) status;
        System.arraycopy(text, 0, payload, 2, text.length);
        writeFrame(out, 0x8, payload);
    }

    /** One unmasked, unfragmented frame, as a server sends (5.1). */
    private static void writeFrame(OutputStream out, int opcode, byte[] payload) throws IOException {
        int n = payload.length;
        byte[] header;
        if (n < 126) {
            header = new byte[] {(byte) (0x80 | opcode), (byte) n};
        } else if (n < 65536) {
            header = new byte[] {(byte) (0x80 | opcode), 126, (byte) (n >> 8), (byte) n};
        } else {
            header = new byte[10];
            header[0] = (byte) (0x80 | opcode);
            header[1] = 127;
            for (int i = 0; i < 8; i++) {
                header[9 - i] = (byte) ((long) n >>> (8 * i));
            }
        }
        out.write(header);
        out.write(payload);
        out.flush();
    }

    private static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException();
        }
        return b;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort
        }
    }
}
