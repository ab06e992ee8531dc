package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracleHook;
import io.lb4j.testing.PeerServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random schedules of what a client and a backend do to one relayed pair (write, half-close, reset,
 * stall and resume reading), checked against a model of what each side must see: with no reset,
 * exactly the other side's bytes then end of stream; after a reset, a prefix of them (never a
 * duplicated, reordered or invented byte) and then an end, promptly.
 */
@AddLifecycleHook(FaultOracleHook.class)
class RelayFuzzProperties {
    private static PeerServer peer;
    private static Balancer balancer;
    private static ExecutorService threads;

    enum Kind { WRITE, SHUTDOWN, RESET, STALL, RESUME }

    record Action(boolean client, Kind kind, int size) {
    }

    @BeforeContainer
    static void start() {
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fuzz");
            t.setDaemon(true);
            return t;
        });
        peer = PeerServer.start();
        balancer = Balancer.builder().listen("127.0.0.1:0").backend(peer.hostPort()).probe(null).eventLoops(1).build();
        balancer.start();
    }

    @AfterContainer
    static void stop() {
        balancer.close();
        peer.close();
        threads.shutdownNow();
    }

    @Provide
    Arbitrary<List<Action>> schedules() {
        Arbitrary<Kind> kind = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(64, Kind.WRITE), net.jqwik.api.Tuple.of(10, Kind.SHUTDOWN),
                net.jqwik.api.Tuple.of(4, Kind.RESET), net.jqwik.api.Tuple.of(11, Kind.STALL),
                net.jqwik.api.Tuple.of(11, Kind.RESUME));
        Arbitrary<Action> action = Combinators.combine(Arbitraries.of(true, false), kind,
                Arbitraries.integers().between(1, 40_000)).as(Action::new);
        return action.list().ofMaxSize(16);
    }

    /** One side of the pair: a writer fed by a queue, a reader that can be stalled. */
    private static final class Side {
        final Socket socket;
        final BlockingQueue<Runnable> writes = new LinkedBlockingQueue<>();
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final Object gate = new Object();
        final CountDownLatch readerDone = new CountDownLatch(1);
        final AtomicBoolean sawReset = new AtomicBoolean();
        volatile boolean stalled;
        boolean shut;
        boolean reset;

        Side(Socket socket) {
            this.socket = socket;
        }

        void startThreads() {
            threads.execute(() -> {
                try {
                    for (Runnable w; (w = writes.take()) != END; ) {
                        w.run();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads.execute(() -> {
                byte[] buf = new byte[8192];
                try {
                    InputStream in = socket.getInputStream();
                    while (true) {
                        synchronized (gate) {
                            while (stalled) {
                                gate.wait();
                            }
                        }
                        int n = in.read(buf);
                        if (n < 0) {
                            break;
                        }
                        synchronized (received) {
                            received.write(buf, 0, n);
                        }
                    }
                } catch (IOException e) {
                    sawReset.set(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    readerDone.countDown();
                }
            });
        }

        void stall(boolean on) {
            synchronized (gate) {
                stalled = on;
                gate.notifyAll();
            }
        }

        byte[] received() {
            synchronized (received) {
                return received.toByteArray();
            }
        }
    }

    private static final Runnable END = () -> { };

    @Property(tries = 1000)
    void eachSideSeesExactlyOrAPrefixOfWhatTheOtherSent(@ForAll("schedules") List<Action> schedule) throws Exception {
        InetSocketAddress address = balancer.addresses().get(0);
        try (Socket clientSocket = new Socket(address.getAddress(), address.getPort())) {
            clientSocket.getOutputStream().write(0); // opens the pair, so the backend accepts in order
            try (Socket backendSocket = peer.next(Duration.ofSeconds(10))) {
                assertEquals(0, backendSocket.getInputStream().read());
                Side client = new Side(clientSocket);
                Side backend = new Side(backendSocket);
                client.startThreads();
                backend.startThreads();
                boolean anyReset = false;
                byte counter = 1;
                for (Action a : schedule) {
                    Side self = a.client() ? client : backend;
                    if (self.reset || (anyReset && a.kind() != Kind.STALL && a.kind() != Kind.RESUME)) {
                        continue; // after a reset only reading stays interesting
                    }
                    switch (a.kind()) {
                        case WRITE:
                            if (!self.shut) {
                                byte[] data = new byte[a.size()];
                                for (int i = 0; i < data.length; i++) {
                                    data[i] = counter++;
                                }
                                self.sent.write(data);
                                self.writes.add(() -> quietly(() -> self.socket.getOutputStream().write(data)));
                            }
                            break;
                        case SHUTDOWN:
                            if (!self.shut) {
                                self.shut = true;
                                self.writes.add(() -> quietly(self.socket::shutdownOutput));
                            }
                            break;
                        case RESET:
                            self.reset = true;
                            anyReset = true;
                            self.writes.add(() -> quietly(() -> {
                                self.socket.setSoLinger(true, 0);
                                self.socket.close();
                            }));
                            break;
                        case STALL:
                            self.stall(true);
                            break;
                        case RESUME:
                            self.stall(false);
                            break;
                        default:
                            throw new IllegalStateException();
                    }
                }
                client.stall(false);
                backend.stall(false);
                for (Side s : new Side[] {client, backend}) {
                    if (!anyReset && !s.shut) {
                        s.writes.add(() -> quietly(s.socket::shutdownOutput));
                    }
                    s.writes.add(END);
                }
                if (!anyReset) {
                    assertTrue(backend.readerDone.await(20, TimeUnit.SECONDS), "backend sees the end");
                    assertTrue(client.readerDone.await(20, TimeUnit.SECONDS), "client sees the end");
                    assertArrayEquals(client.sent.toByteArray(), backend.received(), "client to backend, exactly");
                    assertArrayEquals(backend.sent.toByteArray(), client.received(), "backend to client, exactly");
                    assertTrue(!client.sawReset.get() && !backend.sawReset.get(), "no reset without one");
                } else {
                    Side survivor = client.reset ? backend : client;
                    Side resetter = client.reset ? client : backend;
                    assertTrue(survivor.readerDone.await(20, TimeUnit.SECONDS), "the other side sees the end promptly");
                    assertPrefix(resetter.sent.toByteArray(), survivor.received());
                    assertPrefix(survivor.sent.toByteArray(), resetter.received());
                }
            }
        }
    }

    private static void assertPrefix(byte[] sent, byte[] received) {
        assertTrue(received.length <= sent.length, "never more bytes than were sent");
        assertArrayEquals(Arrays.copyOf(sent, received.length), received, "a prefix, in order");
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void quietly(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            // the peer may be gone already: that is part of the schedule
        }
    }
}
