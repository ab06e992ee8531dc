package io.lb4j.benchmarks;

import io.lb4j.Balancer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One connection's bulk throughput on loopback, straight to a sink ({@code direct}) and through an
 * lb4j balancer with one event loop ({@code balancer}). One operation sends 16 MiB and waits for the
 * sink's one-byte acknowledgement, so the score is the time per 16 MiB delivered end to end.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar Throughput -prof gc}. With {@code -prof
 * gc}, {@code gc.alloc.rate.norm} covers the whole JVM (client, sink and balancer): the client and
 * sink reuse their arrays, so what remains is the balancer's allocation per 16 MiB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ThroughputBenchmark {
    static final int CHUNK = 64 * 1024;
    static final int PER_OP = 16 * 1024 * 1024;

    @Param({"direct", "balancer"})
    public String path;

    private ServerSocket sinkServer;
    private Thread sinkThread;
    private Balancer balancer;
    private Socket client;
    private OutputStream out;
    private InputStream in;
    private final byte[] chunk = new byte[CHUNK];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        sinkServer = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        sinkThread = new Thread(this::sink, "sink");
        sinkThread.setDaemon(true);
        sinkThread.start();
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), sinkServer.getLocalPort());
        if (path.equals("balancer")) {
            balancer = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + sinkServer.getLocalPort())
                    .eventLoops(1).probe(null).build();
            balancer.start();
            target = balancer.addresses().get(0);
        }
        client = new Socket(target.getAddress(), target.getPort());
        client.setTcpNoDelay(true);
        out = client.getOutputStream();
        in = client.getInputStream();
    }

    private void sink() {
        byte[] buf = new byte[CHUNK];
        try (Socket s = sinkServer.accept()) {
            InputStream sin = s.getInputStream();
            OutputStream sout = s.getOutputStream();
            long received = 0;
            int n;
            while ((n = sin.read(buf)) >= 0) {
                received += n;
                if (received >= PER_OP) {
                    received -= PER_OP;
                    sout.write(1);
                }
            }
        } catch (IOException e) {
            // torn down
        }
    }

    @Benchmark
    public int send16MiB() throws IOException {
        for (int sent = 0; sent < PER_OP; sent += CHUNK) {
            out.write(chunk);
        }
        return in.read();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        client.close();
        if (balancer != null) {
            balancer.close();
        }
        sinkServer.close();
        sinkThread.join(5000);
    }
}
