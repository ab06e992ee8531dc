package embedder;

import io.lb4j.Balancer;
import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/**
 * Run by ModulePathTest in a child JVM on the module path: an echo backend, a balancer with a 7 s
 * keepalive idle time, one client connection through it. Prints {@code jmx ...} and
 * {@code ports LISTEN CLIENT}, then holds the connection until a line arrives on standard input.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread echo = new Thread(() -> {
                try (Socket s = backend.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (IOException e) {
                    // closed
                }
            });
            echo.setDaemon(true);
            echo.start();
            try (Balancer lb = Balancer.builder().name("embedded").listen("127.0.0.1:0")
                    .backend("127.0.0.1:" + backend.getLocalPort()).tcpKeepAlive(Duration.ofSeconds(7))
                    .probe(HealthProbe.blockingCheck(target -> target.timeout().isZero()
                            ? ProbeResult.failed("no time") : ProbeResult.ok()))
                    .build()) {
                lb.start();
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), lb.addresses().get(0).getPort())) {
                    client.getOutputStream().write(42);
                    if (client.getInputStream().read() != 42) {
                        throw new IllegalStateException("no echo through the balancer");
                    }
                    System.out.println("jmx " + (ModuleLayer.boot().findModule("java.management").isPresent()
                            ? Jmx.registered() : "absent"));
                    System.out.println("ports " + lb.addresses().get(0).getPort() + " " + client.getLocalPort());
                    System.out.flush();
                    System.in.read(); // the test reads the sockets' state meanwhile
                }
            }
        }
    }

    /** Touched only when java.management is there. */
    private static final class Jmx {
        static String registered() throws Exception {
            javax.management.ObjectName name = new javax.management.ObjectName("io.lb4j:type=Balancer,name=\"embedded\"");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!java.lang.management.ManagementFactory.getPlatformMBeanServer().isRegistered(name)) {
                if (System.nanoTime() - deadline > 0) {
                    return "unregistered";
                }
                Thread.sleep(20); // registration runs in the background in a JVM without an MBean server
            }
            return "registered";
        }
    }
}
