package io.lb4j.benchmarks;

import io.lb4j.Balancer;
import io.lb4j.HealthProbe;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
 * Embedded start-up: from {@code Balancer.builder()} to the first byte relayed through the started
 * balancer and back from a live backend, in a fresh JVM (one shot per fork, so the figure includes
 * class loading, as an application's first start does). {@code probe=tcp} adds the first probe round
 * that {@code start()} waits for.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar Startup}. Target: 50 ms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(5)
public class StartupBenchmark {
    @Param({"none", "tcp"})
    public String probe;

    private ServerSocket echoServer;
    private Thread echoThread;
    private Balancer balancer;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        echoServer = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        echoThread = new Thread(this::echo, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
    }

    private void echo() {
        while (!echoServer.isClosed()) {
            try (Socket s = echoServer.accept()) {
                int b = s.getInputStream().read();
                if (b >= 0) {
                    s.getOutputStream().write(b);
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    /** build, start, connect, one byte there and back. */
    @Benchmark
    public int startToFirstByte() throws IOException {
        balancer = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + echoServer.getLocalPort())
                .eventLoops(1).probe(probe.equals("tcp") ? HealthProbe.tcp() : null).build();
        balancer.start();
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), balancer.addresses().get(0).getPort())) {
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            out.write(42);
            return in.read();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        echoServer.close();
        echoThread.join(5000);
    }
}
