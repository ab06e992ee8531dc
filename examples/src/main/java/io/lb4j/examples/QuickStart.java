package io.lb4j.examples;

// tag::readme[]
import io.lb4j.Balancer;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/** A TCP load balancer in front of Redis-like backends that are healthy when they answer PING. */
public final class QuickStart {
    /**
     * {@code java QuickStart 0.0.0.0:6380 10.0.0.11:6379 10.0.0.12:6379}: listen, then the backends.
     *
     * @param args the listen address, then the backends as HOST:PORT
     * @throws InterruptedException never: runs until the JVM is stopped
     */
    public static void main(String[] args) throws InterruptedException {
        Balancer lb = start(args[0], Arrays.copyOfRange(args, 1, args.length));
        Runtime.getRuntime().addShutdownHook(new Thread(lb::close)); // SIGTERM: drain, at most 30 s
        System.out.println("listening on port " + lb.addresses().get(0).getPort());
        Thread.currentThread().join(); // lb4j's threads are daemons: main keeps the JVM running
    }

    static Balancer start(String listen, String... backends) {
        Balancer.Builder builder = Balancer.builder()
                .listen(listen)
                .probe(HealthProbe.blockingCheck(QuickStart::ping)) // runs off the event loops
                .probeInterval(Duration.ofSeconds(2));
        for (String backend : backends) {
            builder.backend(backend);
        }
        Balancer lb = builder.build();
        lb.start(); // binds, probes every backend once, then accepts
        return lb;
    }

    /** The custom probe: healthy when the probe address answers {@code PING} with {@code +PONG}. */
    static ProbeResult ping(HealthProbe.Target target) {
        int timeoutMs = (int) target.timeout().toMillis();
        try (Socket socket = new Socket()) {
            socket.connect(target.address(), timeoutMs);
            socket.setSoTimeout(timeoutMs);
            OutputStream out = socket.getOutputStream();
            if (target.proxyProtocol() != null) {
                out.write(target.proxyProtocol().localHeader()); // backends that expect PROXY headers
            }
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return "+PONG".equals(answer) ? ProbeResult.ok() : ProbeResult.failed("answered " + answer);
        } catch (IOException e) {
            return ProbeResult.failed(e.toString());
        }
    }
}
// end::readme[]
