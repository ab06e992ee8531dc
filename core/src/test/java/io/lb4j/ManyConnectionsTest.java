package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class ManyConnectionsTest {
    private static final int CONNECTIONS = 2000;
    private static final int ROUNDS = 20;
    private static final int CONNECTING_AT_ONCE = 256;

    /** One client connection of the crowd: sends a numbered line, expects it back, 20 times. */
    private static final class Client {
        final int id;
        final ByteBuffer in = ByteBuffer.allocate(64);
        ByteBuffer out;
        int round;
        String expected;

        Client(int id) {
            this.id = id;
        }

        void nextMessage() {
            expected = "c" + id + "r" + round + "\n";
            out = ByteBuffer.wrap(expected.getBytes(StandardCharsets.US_ASCII));
            in.clear();
        }
    }

    @Test
    void shouldRelayTwoThousandConcurrentConnectionsEachDoingTwentyRoundTrips() throws Exception {
        try (EchoServer a = EchoServer.start(); EchoServer b = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(a.hostPort()).backend(b.hostPort())
                     .policy(BalancingPolicy.roundRobin()).probe(null).eventLoops(2).build()) {
            lb.start();
            InetSocketAddress address = lb.addresses().get(0);
            int completed = runCrowd(address);
            assertEquals(CONNECTIONS, completed, "every connection completed all its round trips correctly");
            assertEquals(CONNECTIONS, a.accepted() + b.accepted());
            assertEquals(CONNECTIONS / 2, a.accepted(), "round robin split the crowd evenly");
            BalancerStats stats = lb.stats();
            assertEquals(CONNECTIONS, stats.totalConnections());
            long expectedBytes = 0;
            for (int id = 0; id < CONNECTIONS; id++) {
                for (int r = 0; r < ROUNDS; r++) {
                    expectedBytes += ("c" + id + "r" + r + "\n").length();
                }
            }
            long toBackend = stats.backends().stream().mapToLong(BalancerStats.BackendStats::bytesToBackend).sum();
            assertEquals(expectedBytes, toBackend, "every byte counted once");
        }
    }

    private static int runCrowd(InetSocketAddress address) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        int started = 0;
        int connecting = 0;
        int completed = 0;
        try (Selector selector = Selector.open()) {
            while (completed < CONNECTIONS) {
                while (started < CONNECTIONS && connecting < CONNECTING_AT_ONCE) {
                    SocketChannel ch = SocketChannel.open();
                    ch.configureBlocking(false);
                    ch.connect(address);
                    ch.register(selector, SelectionKey.OP_CONNECT, new Client(started++));
                    connecting++;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("crowd did not finish in time: " + completed + " of " + CONNECTIONS);
                }
                selector.select(100);
                for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    SocketChannel ch = (SocketChannel) key.channel();
                    Client c = (Client) key.attachment();
                    if (key.isConnectable()) {
                        ch.finishConnect();
                        connecting--;
                        c.nextMessage();
                        key.interestOps(SelectionKey.OP_WRITE);
                    }
                    if (key.isValid() && key.isWritable()) {
                        ch.write(c.out);
                        if (!c.out.hasRemaining()) {
                            key.interestOps(SelectionKey.OP_READ);
                        }
                    }
                    if (key.isValid() && key.isReadable()) {
                        if (ch.read(c.in) < 0) {
                            throw new AssertionError("connection " + c.id + " closed early");
                        }
                        if (c.in.position() == c.expected.length()) {
                            String got = new String(c.in.array(), 0, c.in.position(), StandardCharsets.US_ASCII);
                            assertEquals(c.expected, got, "echo of connection " + c.id);
                            if (++c.round == ROUNDS) {
                                ch.close();
                                completed++;
                            } else {
                                c.nextMessage();
                                key.interestOps(SelectionKey.OP_WRITE);
                            }
                        }
                    }
                }
            }
        }
        return completed;
    }
}
