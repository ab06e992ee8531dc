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
 * The relay of one chunk each way through one connection pair: the client writes {@code chunkBytes}
 * to the balancer, the backend echoes them, and the operation ends when the client has read them all
 * back. That is two relayed reads and writes on the event loop per operation, so its time is one
 * round trip through lb4j and {@code -prof gc} shows what the relay allocates per chunk.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar Relay -prof gc}. The client and the echo
 * thread reuse one array each and JDK 17's socket streams reuse a per-thread direct buffer, so
 * {@code gc.alloc.rate.norm} is the balancer's allocation per round trip (the figure should read
 * about 0 B/op; measured 2026-11-25: see docs/PERFORMANCE.md).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RelayBenchmark {
    @Param({"64", "16384"})
    public int chunkBytes;

    @Param({"balancer"})
    public String path;

    private ServerSocket echoServer;
    private Thread echoThread;
    private Balancer balancer;
    private Socket client;
    private OutputStream out;
    private InputStream in;
    private byte[] chunk;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        chunk = new byte[chunkBytes];
        echoServer = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        echoThread = new Thread(this::echo, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), echoServer.getLocalPort());
        if (path.equals("balancer")) {
            balancer = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + echoServer.getLocalPort())
                    .eventLoops(1).probe(null).build();
            balancer.start();
            target = balancer.addresses().get(0);
        }
        client = new Socket(target.getAddress(), target.getPort());
        client.setTcpNoDelay(true);
        out = client.getOutputStream();
        in = client.getInputStream();
    }

    private void echo() {
        byte[] buf = new byte[64 * 1024];
        try (Socket s = echoServer.accept()) {
            s.setTcpNoDelay(true);
            InputStream sin = s.getInputStream();
            OutputStream sout = s.getOutputStream();
            int n;
            while ((n = sin.read(buf)) >= 0) {
                sout.write(buf, 0, n);
            }
        } catch (IOException e) {
            // torn down
        }
    }

    /** One chunk to the backend and the same chunk back. */
    @Benchmark
    public int roundTrip() throws IOException {
        out.write(chunk);
        int got = 0;
        while (got < chunk.length) {
            int n = in.read(chunk, got, chunk.length - got);
            if (n < 0) {
                throw new IOException("closed after " + got + " bytes");
            }
            got += n;
        }
        return got;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        client.close();
        if (balancer != null) {
            balancer.close();
        }
        echoServer.close();
        echoThread.join(5000);
    }
}
