package io.lb4j.benchmarks;

import io.lb4j.Balancer;
import io.lb4j.BalancerListener;
import io.lb4j.ConnectionEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * The cost of operations features on forwarding, end to end over loopback: {@code ops=off} is a
 * balancer with no listener, no metrics endpoint and no JMX (its per-loop counters cannot be turned
 * off: they are the baseline); {@code ops=on} adds a listener overriding every connection event, the
 * metrics endpoint (scraped once per second by a background thread) and JMX MBeans.
 * {@code bulk}: 1 MiB echoed through one kept-open connection per operation;
 * {@code churn}: a new connection per operation, 1 KiB echoed, then closed (events fire each time).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class MetricsCostBenchmark {
    private static final int BULK_BYTES = 1 << 20;
    private static final int CHURN_BYTES = 1024;

    @Param({"off", "on"})
    public String ops;

    private ServerSocket echo;
    private Thread echoAcceptor;
    private Balancer balancer;
    private InetSocketAddress front;
    private Socket bulk;
    private Thread scraper;
    private final byte[] payload = new byte[BULK_BYTES];
    private final byte[] received = new byte[BULK_BYTES];
    /** Events seen, so the listener's work is not optimised away. */
    public final LongAdder events = new LongAdder();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        echo = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        echoAcceptor = new Thread(this::acceptEcho, "echo-accept");
        echoAcceptor.setDaemon(true);
        echoAcceptor.start();
        Balancer.Builder b = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:" + echo.getLocalPort())
                .probe(null).eventLoops(1);
        boolean on = ops.equals("on");
        b.jmx(on);
        if (on) {
            b.metricsAddress("127.0.0.1:0").listener(new BalancerListener() {
                @Override
                public void connectionOpened(ConnectionEvent event) {
                    events.increment();
                }

                @Override
                public void connectionClosed(ConnectionEvent event) {
                    events.add(event.bytesToBackend() > 0 ? 1 : 2);
                }

                @Override
                public void connectionRejected(ConnectionEvent event) {
                    events.increment();
                }
            });
        }
        balancer = b.build();
        balancer.start();
        front = balancer.addresses().get(0);
        bulk = new Socket(front.getAddress(), front.getPort());
        bulk.setTcpNoDelay(true);
        if (on) {
            InetSocketAddress metrics = balancer.metricsAddress();
            scraper = new Thread(() -> scrape(metrics), "scraper");
            scraper.setDaemon(true);
            scraper.start();
        }
    }

    private void scrape(InetSocketAddress metrics) {
        while (!Thread.currentThread().isInterrupted()) {
            try (Socket s = new Socket(metrics.getAddress(), metrics.getPort())) {
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes("ISO-8859-1"));
                s.getInputStream().readAllBytes();
                Thread.sleep(1000);
            } catch (IOException e) {
                return;
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void acceptEcho() {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                Thread t = new Thread(() -> {
                    byte[] buffer = new byte[64 * 1024];
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        int n;
                        while ((n = in.read(buffer)) > 0) {
                            out.write(buffer, 0, n);
                        }
                    } catch (IOException ignored) {
                        // client gone
                    }
                }, "echo");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (scraper != null) {
            scraper.interrupt();
        }
        bulk.close();
        balancer.closeNow();
        echo.close();
    }

    /** 1 MiB there and back on one connection; score x 2 MiB = bytes relayed per second. */
    @Benchmark
    public int bulk() throws IOException {
        OutputStream out = bulk.getOutputStream();
        InputStream in = bulk.getInputStream();
        int read = 0;
        int written = 0;
        while (read < BULK_BYTES) {
            if (written < BULK_BYTES) {
                int chunk = Math.min(64 * 1024, BULK_BYTES - written);
                out.write(payload, written, chunk);
                written += chunk;
            }
            while (read < written) {
                int n = in.read(received, read, written - read);
                if (n < 0) {
                    throw new IOException("closed early");
                }
                read += n;
            }
        }
        return read;
    }

    /** Connect, 1 KiB there and back, close. */
    @Benchmark
    public int churn() throws IOException {
        try (Socket s = new Socket(front.getAddress(), front.getPort())) {
            s.setTcpNoDelay(true);
            s.getOutputStream().write(payload, 0, CHURN_BYTES);
            return s.getInputStream().readNBytes(received, 0, CHURN_BYTES);
        }
    }
}
