package io.lb4j.internal.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A non-blocking stub resolver: one daemon thread and one selector send each query over UDP from its
 * own connected {@link DatagramChannel} (so only the server's answers are read), and repeat it over
 * TCP when the answer comes truncated (RFC 1035 section 4.2.2 framing). As glibc's resolver does, a
 * query goes to the servers in order, the next one after a timeout, an unreachable port or a
 * SERVFAIL / REFUSED / NOTIMP answer, for {@code attempts} rounds. Lookups are rare (at TTL expiry),
 * so clarity wins over reusing channels.
 */
public final class DnsResolver implements AutoCloseable {
    private static final int UDP_MAX = 65_535;

    private final List<InetSocketAddress> servers;
    private final long timeoutNs;
    private final int attempts;
    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Query> submitted = new ConcurrentLinkedQueue<>();
    private final List<Query> running = new ArrayList<>();
    private final ByteBuffer udpBuffer = ByteBuffer.allocate(UDP_MAX);
    private volatile boolean closed;

    /**
     * @param server where queries go
     * @param timeoutNs per attempt
     * @param attempts UDP tries before a query fails (TCP gets one)
     */
    public DnsResolver(InetSocketAddress server, long timeoutNs, int attempts) throws IOException {
        this(List.of(server), timeoutNs, attempts);
    }

    /**
     * @param servers where queries go, tried in this order
     * @param timeoutNs per try
     * @param attempts rounds over the servers before a query fails
     */
    public DnsResolver(List<InetSocketAddress> servers, long timeoutNs, int attempts) throws IOException {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server");
        }
        this.servers = List.copyOf(servers);
        this.timeoutNs = timeoutNs;
        this.attempts = attempts;
        this.selector = Selector.open();
        this.thread = new Thread(this::run, "lb4j-dns-resolver");
        thread.setDaemon(true);
        thread.start();
    }

    /** The servers queries go to, in order. */
    public List<InetSocketAddress> servers() {
        return servers;
    }

    /**
     * Sends a query for {@code name} of {@code type}; completes with the server's matching response
     * (whatever its RCODE), or exceptionally after the attempts time out or the server refuses.
     * Thread-safe.
     */
    public CompletableFuture<DnsMessage> query(String name, int type) {
        Query q = new Query(DnsMessage.query(ThreadLocalRandom.current().nextInt(0x10000), name, type));
        if (closed) {
            q.result.completeExceptionally(new IOException("resolver closed"));
            return q.result;
        }
        submitted.add(q);
        selector.wakeup();
        return q.result;
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (!closed) {
                long now = System.nanoTime();
                long waitMs = 1_000;
                for (Query q : running) {
                    waitMs = Math.min(waitMs, Math.max(1, (q.deadlineNs - now) / 1_000_000 + 1));
                }
                selector.select(this::ready, waitMs);
                Query next;
                while ((next = submitted.poll()) != null) {
                    running.add(next);
                    next.sendUdp();
                }
                now = System.nanoTime();
                for (Query q : new ArrayList<>(running)) {
                    if (q.deadlineNs - now <= 0) {
                        q.timedOut();
                    }
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            // fails every query below
        } finally {
            for (Query q : new ArrayList<>(running)) {
                q.fail(new IOException("resolver closed"));
            }
            Query q;
            while ((q = submitted.poll()) != null) {
                q.fail(new IOException("resolver closed"));
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void ready(SelectionKey key) {
        Query q = (Query) key.attachment();
        try {
            if (key.channel() instanceof DatagramChannel) {
                q.readUdp();
            } else if (key.isConnectable()) {
                q.finishTcpConnect();
            } else {
                q.tcpIo();
            }
        } catch (IOException | RuntimeException e) {
            q.failed(e);
        }
    }

    private final class Query {
        final DnsMessage request;
        final byte[] wire;
        final CompletableFuture<DnsMessage> result = new CompletableFuture<>();
        SelectableChannel channel;
        long deadlineNs;
        int tries;
        ByteBuffer tcpOut;
        ByteBuffer tcpLength;
        ByteBuffer tcpIn;
        /** The server of the current try. */
        InetSocketAddress server;
        /** What went wrong with the previous tries, reported if every try fails. */
        Throwable lastFailure;
        /** An error answer (SERVFAIL, REFUSED, NOTIMP) from a previous try: returned if no try does better. */
        DnsMessage lastError;

        Query(DnsMessage request) {
            this.request = request;
            this.wire = request.encode();
        }

        void sendUdp() {
            closeChannel();
            server = servers.get(tries % servers.size());
            tries++;
            deadlineNs = System.nanoTime() + timeoutNs;
            try {
                DatagramChannel udp = DatagramChannel.open();
                channel = udp;
                udp.configureBlocking(false);
                udp.connect(server);
                udp.write(ByteBuffer.wrap(wire));
                udp.register(selector, SelectionKey.OP_READ, this);
            } catch (IOException | RuntimeException e) {
                failed(e);
            }
        }

        void readUdp() throws IOException {
            DatagramChannel udp = (DatagramChannel) channel;
            udpBuffer.clear();
            if (udp.read(udpBuffer) <= 0) {
                return;
            }
            udpBuffer.flip();
            byte[] bytes = new byte[udpBuffer.remaining()];
            udpBuffer.get(bytes);
            DnsMessage answer;
            try {
                answer = DnsMessage.decode(bytes);
            } catch (DnsFormatException e) {
                if (bytes.length >= 4 && ((bytes[2] & 0x02) != 0) && matchesId(bytes)) {
                    startTcp(); // truncated so badly it does not parse: TCP has the whole answer
                    return;
                }
                throw e;
            }
            if (!matches(answer)) {
                return; // a stray or late datagram: keep waiting for ours
            }
            if (answer.truncated()) {
                startTcp();
                return;
            }
            answered(answer);
        }

        /** An answer from the current server: final, unless the server says it could not answer. */
        void answered(DnsMessage answer) {
            int rcode = answer.rcode();
            if ((rcode == 2 || rcode == 4 || rcode == 5) && tries < attempts * servers.size()) {
                lastError = answer; // SERVFAIL, NOTIMP, REFUSED: the next server may know (as glibc)
                sendUdp();
                return;
            }
            succeed(answer);
        }

        /** The current try went wrong (port unreachable, a bad answer): the next server, or the end. */
        void failed(Throwable e) {
            lastFailure = e;
            if (tries < attempts * servers.size()) {
                sendUdp();
            } else {
                end();
            }
        }

        private boolean matchesId(byte[] bytes) {
            return (((bytes[0] & 0xFF) << 8) | (bytes[1] & 0xFF)) == request.id();
        }

        private boolean matches(DnsMessage answer) {
            return answer.response() && answer.id() == request.id() && answer.questions().equals(request.questions());
        }

        void startTcp() throws IOException {
            closeChannel();
            deadlineNs = System.nanoTime() + timeoutNs;
            tries = attempts * servers.size(); // TCP to the server that truncated is the last try
            SocketChannel tcp = SocketChannel.open();
            channel = tcp;
            tcp.configureBlocking(false);
            ByteBuffer out = ByteBuffer.allocate(2 + wire.length);
            out.putShort((short) wire.length).put(wire).flip();
            tcpOut = out;
            tcpLength = ByteBuffer.allocate(2);
            if (tcp.connect(server)) {
                tcp.register(selector, SelectionKey.OP_WRITE, this);
            } else {
                tcp.register(selector, SelectionKey.OP_CONNECT, this);
            }
        }

        void finishTcpConnect() throws IOException {
            SocketChannel tcp = (SocketChannel) channel;
            if (tcp.finishConnect()) {
                tcp.keyFor(selector).interestOps(SelectionKey.OP_WRITE);
            }
        }

        void tcpIo() throws IOException {
            SocketChannel tcp = (SocketChannel) channel;
            SelectionKey key = tcp.keyFor(selector);
            if (tcpOut.hasRemaining()) {
                tcp.write(tcpOut);
                if (!tcpOut.hasRemaining()) {
                    key.interestOps(SelectionKey.OP_READ);
                }
                return;
            }
            if (tcpIn == null) {
                if (tcp.read(tcpLength) < 0) {
                    throw new IOException("server closed the TCP connection before answering");
                }
                if (tcpLength.hasRemaining()) {
                    return;
                }
                tcpLength.flip();
                tcpIn = ByteBuffer.allocate(tcpLength.getShort() & 0xFFFF);
            }
            if (tcp.read(tcpIn) < 0) {
                throw new IOException("server closed the TCP connection mid-answer");
            }
            if (tcpIn.hasRemaining()) {
                return;
            }
            DnsMessage answer = DnsMessage.decode(tcpIn.array());
            if (!matches(answer)) {
                throw new IOException("TCP answer does not match the query");
            }
            answered(answer);
        }

        void timedOut() {
            failed(new SocketTimeoutException("no answer from " + server.getAddress().getHostAddress() + ":"
                    + server.getPort() + " within " + (timeoutNs / 1_000_000) + " ms"));
        }

        /** Every try is spent: an error answer a server gave, else what went wrong last. */
        void end() {
            if (lastError != null) {
                succeed(lastError);
            } else {
                fail(lastFailure);
            }
        }

        void succeed(DnsMessage answer) {
            closeChannel();
            running.remove(this);
            result.complete(answer);
        }

        void fail(Throwable e) {
            closeChannel();
            running.remove(this);
            result.completeExceptionally(e);
        }

        void closeChannel() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // done with it
                }
                channel = null;
            }
        }
    }
}
