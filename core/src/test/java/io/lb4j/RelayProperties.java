package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.lb4j.testing.FaultOracleHook;
import io.lb4j.testing.PeerServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Bytes arrive unchanged and in order through the balancer, under any chunking, both ways at once. */
@AddLifecycleHook(FaultOracleHook.class)
class RelayProperties {
    private static final java.util.concurrent.ExecutorService IO =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "relay-properties-io");
                t.setDaemon(true);
                return t;
            });
    private static PeerServer peer;
    private static Balancer balancer;

    @BeforeContainer
    static void startBalancer() {
        peer = PeerServer.start();
        balancer = Balancer.builder().listen("127.0.0.1:0").backend(peer.hostPort()).probe(null)
                .eventLoops(2).build();
        balancer.start();
    }

    @AfterContainer
    static void stopBalancer() {
        balancer.close();
        peer.close();
    }

    @Provide
    Arbitrary<List<byte[]>> chunks() {
        Arbitrary<byte[]> chunk = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(70_000);
        return chunk.list().ofMinSize(0).ofMaxSize(12);
    }

    @Property(tries = 60)
    void bytesArriveIdenticalAndInOrderBothWaysAtOnce(@ForAll("chunks") List<byte[]> up,
                                                      @ForAll("chunks") List<byte[]> down) throws Exception {
        InetSocketAddress address = balancer.addresses().get(0);
        try (Socket client = new Socket(address.getAddress(), address.getPort())) {
            client.setSoTimeout(20_000);
            client.getOutputStream().write(1); // opens the pair, so the backend accepts in order
            try (Socket backend = peer.next(Duration.ofSeconds(10))) {
                backend.getInputStream().read();
                CompletableFuture<byte[]> atBackend = readUntilEof(backend.getInputStream());
                CompletableFuture<byte[]> atClient = readUntilEof(client.getInputStream());
                CompletableFuture<Void> w1 = write(client, up);
                CompletableFuture<Void> w2 = write(backend, down);
                w1.get(20, TimeUnit.SECONDS);
                w2.get(20, TimeUnit.SECONDS);
                assertArrayEquals(concat(up), atBackend.get(20, TimeUnit.SECONDS), "client to backend");
                assertArrayEquals(concat(down), atClient.get(20, TimeUnit.SECONDS), "backend to client");
            }
        }
    }

    private static CompletableFuture<Void> write(Socket socket, List<byte[]> chunks) {
        return CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                for (byte[] chunk : chunks) {
                    out.write(chunk);
                    out.flush();
                }
                socket.shutdownOutput();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, IO);
    }

    private static CompletableFuture<byte[]> readUntilEof(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, IO);
    }

    private static byte[] concat(List<byte[]> chunks) {
        int n = 0;
        for (byte[] c : chunks) {
            n += c.length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] c : chunks) {
            System.arraycopy(c, 0, all, at, c.length);
            at += c.length;
        }
        return all;
    }
}
