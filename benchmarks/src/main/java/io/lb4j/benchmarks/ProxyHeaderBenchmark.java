package io.lb4j.benchmarks;

import io.lb4j.ProxyProtocol;
import io.lb4j.internal.proxy.ProxyHeader;
import io.lb4j.internal.proxy.ProxyHeaderParser;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of writing the PROXY protocol header lb4j sends first on each backend connection (once per
 * connection, never per read), and of parsing one accepted from an upstream balancer. Run with
 * {@code -prof gc} to see the bytes allocated per header ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProxyHeaderBenchmark {
    @Param({"ipv4", "ipv6"})
    public String family;

    private InetSocketAddress source;
    private InetSocketAddress destination;
    private final ByteBuffer out = ByteBuffer.allocateDirect(ProxyHeader.MAX_ENCODED_BYTES);
    private ByteBuffer v1;
    private ByteBuffer v2;

    @Setup
    public void setUp() throws UnknownHostException {
        boolean v6 = family.equals("ipv6");
        source = new InetSocketAddress(InetAddress.getByName(v6 ? "2001:db8::7" : "203.0.113.7"), 50123);
        destination = new InetSocketAddress(InetAddress.getByName(v6 ? "2001:db8::1" : "192.0.2.1"), 443);
        v1 = encoded(ProxyProtocol.V1);
        v2 = encoded(ProxyProtocol.V2);
    }

    private ByteBuffer encoded(ProxyProtocol version) {
        ByteBuffer b = ByteBuffer.allocate(ProxyHeader.MAX_ENCODED_BYTES);
        ProxyHeader.encode(version, source, destination, null, null, b);
        return b.flip();
    }

    @Benchmark
    public ByteBuffer encodeV1() {
        out.clear();
        ProxyHeader.encode(ProxyProtocol.V1, source, destination, null, null, out);
        return out;
    }

    @Benchmark
    public ByteBuffer encodeV2() {
        out.clear();
        ProxyHeader.encode(ProxyProtocol.V2, source, destination, null, null, out);
        return out;
    }

    @Benchmark
    public ProxyHeader parseV1() throws ProxyHeaderParser.Malformed {
        return ProxyHeaderParser.parse(v1);
    }

    @Benchmark
    public ProxyHeader parseV2() throws ProxyHeaderParser.Malformed {
        return ProxyHeaderParser.parse(v2);
    }
}
