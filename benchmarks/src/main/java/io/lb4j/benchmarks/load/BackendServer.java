package io.lb4j.benchmarks.load;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The backends of the load benchmark: one NIO thread serving one {@link Mode} on one or more ports,
 * so that the backends cost as little as possible of the load generator's core. It is deliberately
 * minimal (fixed response, echo, sink/source) but speaks real HTTP/1.1 keep-alive and real RFC 6455
 * framing, so a balancer in between sees the traffic a user would put through it.
 */
public final class BackendServer implements Closeable {
    /** What the backend does with each connection. */
    public enum Mode {
        /** HTTP/1.1 keep-alive: one fixed {@link #RESPONSE} per request (pipelining allowed). */
        HTTP,
        /** As {@link #HTTP}, but closes the connection after the first response. */
        HTTP_CLOSE,
        /** WebSocket: the RFC 6455 opening handshake, then every data frame echoed unmasked. */
        WS,
        /** Bulk: the first byte picks {@code 'U'} (read and discard) or {@code 'D'} (send forever). */
        BULK;

        static Mode parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** The one response of {@link Mode#HTTP}, byte for byte (the client checks every byte). */
    public static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
            + "hello, world\n").getBytes(StandardCharsets.US_ASCII);
    private static final int SCRATCH_BYTES = 256 * 1024;

    private final Mode mode;
    private final Selector selector;
    private final List<ServerSocketChannel> servers = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(SCRATCH_BYTES);
    private final Thread thread;
    private volatile boolean running = true;

    private BackendServer(Mode mode, String host, int[] ports) throws IOException {
        this.mode = mode;
        this.selector = Selector.open();
        for (int port : ports) {
            ServerSocketChannel server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(host, port), 4096);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            servers.add(server);
            addresses.add((InetSocketAddress) server.getLocalAddress());
        }
        while (scratch.hasRemaining()) {
            scratch.put((byte) ('a' + scratch.position() % 26));
        }
        this.thread = new Thread(this::run, "backend-" + mode.name().toLowerCase(Locale.ROOT));
        this.thread.setDaemon(true);
    }

    /** Binds every port ({@code 0} = any free one) and starts serving on a daemon thread. */
    public static BackendServer start(Mode mode, String host, int... ports) throws IOException {
        BackendServer server = new BackendServer(mode, host, ports);
        server.thread.start();
        return server;
    }

    /** The bound addresses, in the order of the ports given. */
    public List<InetSocketAddress> addresses() {
        return addresses;
    }

    /** Blocks until the server thread ends (it does not on its own: for the command-line runner). */
    public void join() throws InterruptedException {
        thread.join();
    }

    @Override
    public void close() throws IOException {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (running) {
                selector.select(this::ready, 1000);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("backend: " + e);
        } finally {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException ignored) {
                    // shutting down
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // shutting down
            }
        }
    }

    private void ready(SelectionKey key) {
        if (key.channel() instanceof ServerSocketChannel) {
            accept((ServerSocketChannel) key.channel());
            return;
        }
        Conn conn = (Conn) key.attachment();
        try {
            if (key.isWritable()) {
                conn.writable();
            }
            if (key.isValid() && key.isReadable()) {
                conn.readable();
            }
        } catch (IOException e) {
            conn.close();
        }
    }

    private void accept(ServerSocketChannel server) {
        for (int i = 0; i < 64; i++) {
            SocketChannel channel;
            try {
                channel = server.accept();
                if (channel == null) {
                    return;
                }
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Conn conn = new Conn(channel);
                conn.key = channel.register(selector, SelectionKey.OP_READ, conn);
            } catch (IOException e) {
                return; // out of descriptors or the client left: try again on the next event
            }
        }
    }

    /** One accepted connection. */
    private final class Conn {
        private final SocketChannel channel;
        private SelectionKey key;
        private ByteBuffer in;
        private ByteBuffer out;
        private boolean handshaken;
        private boolean closeAfterFlush;
        private int bulk; // 0 undecided, 'U' sink, 'D' source
        private int headerMatch; // bytes of "\r\n\r\n" matched so far (HTTP)

        Conn(SocketChannel channel) {
            this.channel = channel;
        }

        void readable() throws IOException {
            if (mode == Mode.BULK) {
                bulkRead();
                return;
            }
            if (in == null) {
                in = ByteBuffer.allocate(mode == Mode.WS ? 4096 : 1024);
            }
            for (int reads = 0; reads < 16; reads++) {
                if (!in.hasRemaining()) {
                    ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
                    in.flip();
                    bigger.put(in);
                    in = bigger;
                }
                int n = channel.read(in);
                if (n < 0) {
                    close();
                    return;
                }
                if (n == 0) {
                    break;
                }
                in.flip();
                if (mode == Mode.WS) {
                    webSocket();
                } else {
                    http();
                }
                in.compact();
                if (!key.isValid() || out != null && out.position() > 0) {
                    break;
                }
            }
            flush();
        }

        private void http() {
            while (in.hasRemaining()) {
                byte b = in.get();
                headerMatch = b == (headerMatch % 2 == 0 ? '\r' : '\n') ? headerMatch + 1 : b == '\r' ? 1 : 0;
                if (headerMatch == 4) {
                    headerMatch = 0;
                    queue(RESPONSE, 0, RESPONSE.length);
                    if (mode == Mode.HTTP_CLOSE) {
                        closeAfterFlush = true;
                        in.position(in.limit());
                        return;
                    }
                }
            }
        }

        private void webSocket() throws IOException {
            if (!handshaken) {
                int end = WebSocket.headerEnd(in);
                if (end < 0) {
                    return;
                }
                byte[] head = new byte[end];
                in.get(head);
                String key = WebSocket.header(new String(head, StandardCharsets.ISO_8859_1), "sec-websocket-key");
                if (key == null) {
                    throw new IOException("no Sec-WebSocket-Key");
                }
                byte[] response = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + WebSocket.accept(key) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                queue(response, 0, response.length);
                handshaken = true;
            }
            // RFC 6455 section 5.2: FIN/opcode, MASK/length (7, 16 or 64 bits), 4-byte mask, payload
            while (in.remaining() >= 2) {
                int start = in.position();
                int b0 = in.get(start) & 0xff;
                int b1 = in.get(start + 1) & 0xff;
                if ((b1 & 0x80) == 0) {
                    throw new IOException("unmasked client frame"); // section 5.1: the server must close
                }
                long length = b1 & 0x7f;
                int header = 2;
                if (length == 126) {
                    if (in.remaining() < 4) {
                        return;
                    }
                    length = in.getShort(start + 2) & 0xffff;
                    header = 4;
                } else if (length == 127) {
                    if (in.remaining() < 10) {
                        return;
                    }
                    length = in.getLong(start + 2);
                    header = 10;
                }
                if (length > 1 << 20) {
                    throw new IOException("frame too large for this benchmark backend");
                }
                int total = header + 4 + (int) length;
                if (in.remaining() < total) {
                    return;
                }
                int opcode = b0 & 0x0f;
                int mask = in.getInt(start + header);
                int replyOpcode = opcode == 0x9 ? 0xA : opcode;
                if (opcode != 0xA) { // pongs are not answered
                    echo((b0 & 0x80) | replyOpcode, mask, start + header + 4, (int) length);
                }
                in.position(start + total);
                if (opcode == 0x8) {
                    closeAfterFlush = true;
                    in.position(in.limit());
                    return;
                }
            }
        }

        private void echo(int b0, int mask, int payloadAt, int length) {
            ensureOut(10 + length);
            out.put((byte) b0);
            if (length < 126) {
                out.put((byte) length);
            } else if (length < 65536) {
                out.put((byte) 126).putShort((short) length);
            } else {
                out.put((byte) 127).putLong(length);
            }
            for (int i = 0; i < length; i++) {
                int shift = 24 - 8 * (i & 3);
                out.put((byte) (in.get(payloadAt + i) ^ (mask >>> shift)));
            }
        }

        private void queue(byte[] bytes, int offset, int length) {
            ensureOut(length);
            out.put(bytes, offset, length);
        }

        private void ensureOut(int more) {
            if (out == null) {
                out = ByteBuffer.allocate(Math.max(1024, more));
            } else if (out.remaining() < more) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + more));
                out.flip();
                bigger.put(out);
                out = bigger;
            }
        }

        private void flush() throws IOException {
            if (!key.isValid()) {
                return;
            }
            if (out != null && out.position() > 0) {
                out.flip();
                channel.write(out);
                out.compact();
            }
            boolean pending = out != null && out.position() > 0;
            if (!pending && closeAfterFlush) {
                close();
                return;
            }
            key.interestOps(pending ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        void writable() throws IOException {
            if (mode == Mode.BULK) {
                for (int i = 0; i < 16; i++) {
                    scratch.clear();
                    if (channel.write(scratch) == 0) {
                        return;
                    }
                }
                return;
            }
            flush();
        }

        private void bulkRead() throws IOException {
            for (int i = 0; i < 16; i++) {
                scratch.clear();
                int n = channel.read(scratch);
                if (n < 0) {
                    close();
                    return;
                }
                if (n == 0) {
                    return;
                }
                if (bulk == 0) {
                    bulk = scratch.get(0);
                    if (bulk == 'D') {
                        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    }
                }
            }
        }

        void close() {
            key.cancel();
            try {
                channel.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    /**
     * Runs backends from the command line: {@code serve MODE HOST PORT...}, one process per mode
     * group is typical. Runs until killed.
     */
    static void main(List<String> args) throws IOException, InterruptedException {
        if (args.size() < 3) {
            throw new IllegalArgumentException("usage: serve http|http-close|ws|bulk HOST PORT...");
        }
        int[] ports = args.subList(2, args.size()).stream().mapToInt(Integer::parseInt).toArray();
        BackendServer server = start(Mode.parse(args.get(0)), args.get(1), ports);
        System.out.println("serving " + args.get(0) + " on " + server.addresses());
        server.join();
    }
}
