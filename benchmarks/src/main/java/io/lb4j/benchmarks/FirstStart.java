package io.lb4j.benchmarks;

import io.lb4j.Balancer;
import io.lb4j.HealthProbe;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One first start of a balancer in this JVM, timed: {@code build()}, {@code start()} and the first byte
 * relayed after {@code start()} returned; prints one line {@code FIRST-START mode=.. probe=.. buildMs=..
 * startMs=.. firstByteMs=..}. Run it in a fresh JVM per measurement ({@code benchmarks/first-start.sh}
 * does, many times, and prints medians).
 *
 * <p>Modes: {@code host} first does what a server application has done before it builds a balancer
 * (logging, an executor and a future, lambdas and streams, a NIO selector and listener, formatting), so
 * the figure is lb4j's own first-start cost; {@code bare} builds the balancer first thing in
 * {@code main}. Probe: {@code none} or {@code tcp} (then {@code start()} includes the first probe round).
 */
public final class FirstStart {
    private FirstStart() {
    }

    /**
     * @param args {@code host|bare} and optionally {@code none|tcp}
     */
    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "host";
        String probe = args.length > 1 ? args[1] : "none";
        if (!mode.equals("host") && !mode.equals("bare") || !probe.equals("none") && !probe.equals("tcp")) {
            System.err.println("usage: FirstStart host|bare [none|tcp]");
            System.exit(2);
        }
        if (mode.equals("host")) {
            warmLikeAHost();
        }
        try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread echoThread = new Thread(() -> echo(echo), "echo");
            echoThread.setDaemon(true);
            echoThread.start();
            long t0 = System.nanoTime();
            Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + echo.getLocalPort())
                    .eventLoops(1).probe(probe.equals("tcp") ? HealthProbe.tcp() : null).build();
            long t1 = System.nanoTime();
            lb.start();
            long t2 = System.nanoTime();
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), lb.addresses().get(0).getPort())) {
                client.getOutputStream().write(42);
                if (client.getInputStream().read() != 42) {
                    throw new IOException("the echo did not come back");
                }
            }
            long t3 = System.nanoTime();
            System.out.printf("FIRST-START mode=%s probe=%s buildMs=%.1f startMs=%.1f firstByteMs=%.1f%n",
                    mode, probe, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
            lb.close();
        }
    }

    /** The JDK parts a typical server has used before it builds a balancer. */
    private static void warmLikeAHost() throws Exception {
        java.util.logging.Logger.getLogger("host").info("host starting"); // a server has logged by now
        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture.supplyAsync(() -> List.of(1, 2, 3).stream().mapToInt(i -> i).sum(), executor).get();
        } finally {
            executor.shutdown();
        }
        try (ServerSocketChannel server = ServerSocketChannel.open(); Selector selector = Selector.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            selector.selectNow();
        }
        if (String.format("%s %d", "x", 1).isEmpty()) {
            throw new AssertionError();
        }
    }

    /** Echoes one byte per connection; a probe's connection just closes. */
    private static void echo(ServerSocket server) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                int b = in.read();
                if (b >= 0) {
                    out.write(b);
                }
            } catch (IOException e) {
                return;
            }
        }
    }
}
