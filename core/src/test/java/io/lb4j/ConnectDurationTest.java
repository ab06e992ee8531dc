package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The loop reads its clock once per cycle before the handlers run, so what a handler measures includes
 * the wait it woke from: an opened connection's duration is the time its backend took to connect.
 */
@ExtendWith(FaultOracle.class)
class ConnectDurationTest {

    @Test
    void shouldReportAConnectDurationOfAtLeastTheBackendsDelay() throws Exception {
        BlockingQueue<ConnectionEvent> opened = new LinkedBlockingQueue<>();
        List<SocketChannel> fillers = new ArrayList<>();
        try (ServerSocketChannel backend = ServerSocketChannel.open()) {
            // a backlog that is full makes Linux drop the balancer's SYN; the retransmission (about 1 s
            // later) completes the connect once the test has accepted the fillers: a delay the backend chose
            backend.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            InetSocketAddress backendAddress = (InetSocketAddress) backend.getLocalAddress();
            fillUntilTheBacklogDropsSyns(backendAddress, fillers);
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + backendAddress.getPort())
                    .probe(null).eventLoops(1).connectTimeout(Duration.ofSeconds(10))
                    .listener(new BalancerListener() {
                        @Override
                        public void connectionOpened(ConnectionEvent event) {
                            opened.add(event);
                        }
                    }).build()) {
                lb.start();
                try (Socket client = new Socket()) {
                    long connectedNs = System.nanoTime();
                    client.connect(lb.addresses().get(0), 5_000);
                    // the balancer is now connecting: hold the backend's queue full for a while, then free it
                    Await.until("the delay has passed",
                            () -> System.nanoTime() - connectedNs >= TimeUnit.MILLISECONDS.toNanos(300),
                            Duration.ofSeconds(5));
                    long heldNs = System.nanoTime() - connectedNs;
                    for (int i = 0; i < fillers.size(); i++) {
                        acceptWithin(backend, Duration.ofSeconds(5)).close();
                    }
                    try (SocketChannel relayed = acceptWithin(backend, Duration.ofSeconds(5))) {
                        relayed.configureBlocking(true);
                        client.setSoTimeout(5_000);
                        OutputStream out = client.getOutputStream();
                        out.write('x');
                        out.flush();
                        java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
                        relayed.read(one);
                        assertEquals('x', one.get(0), "the pair relays once connected");
                        ConnectionEvent event = opened.poll(5, TimeUnit.SECONDS);
                        assertTrue(event != null, "an opened event");
                        assertTrue(event.duration().toNanos() >= heldNs,
                                "connect took " + event.duration().toMillis() + " ms, the backend held it "
                                        + TimeUnit.NANOSECONDS.toMillis(heldNs) + " ms");
                        relayed.shutdownOutput();
                        assertEquals(-1, client.getInputStream().read(), "the backend's FIN reaches the client");
                    }
                }
            }
        } finally {
            for (SocketChannel filler : fillers) {
                filler.close();
            }
        }
    }

    /** The next connection in {@code server}'s accept queue, waiting at most {@code timeout}. */
    private static SocketChannel acceptWithin(ServerSocketChannel server, Duration timeout) throws IOException {
        server.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            SelectionKey key = server.register(selector, SelectionKey.OP_ACCEPT);
            if (selector.select(timeout.toMillis()) == 0) {
                throw new AssertionError("nothing to accept within " + timeout);
            }
            key.cancel();
            return server.accept();
        }
    }

    /** Connects non-blocking until a connect stays pending: the accept queue is full and SYNs are dropped. */
    private static void fillUntilTheBacklogDropsSyns(InetSocketAddress address, List<SocketChannel> fillers)
            throws IOException {
        for (int i = 0; i < 16; i++) {
            SocketChannel filler = SocketChannel.open();
            filler.configureBlocking(false);
            fillers.add(filler);
            if (filler.connect(address)) {
                continue;
            }
            boolean done;
            try (Selector selector = Selector.open()) {
                filler.register(selector, SelectionKey.OP_CONNECT);
                done = selector.select(200) > 0 && filler.finishConnect();
            }
            if (!done) {
                fillers.remove(filler);
                filler.close();
                return;
            }
        }
        throw new IllegalStateException("the backend's backlog never filled");
    }
}
