package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.ChildJvm;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MBeans in a JVM that has no platform MBean server yet, where creating it would cost {@code start()}
 * 150-200 ms: registration happens in the background, and {@code close()} leaves nothing registered,
 * also when it comes before the background registration ran. Runs in a child JVM, since this one has
 * its platform MBean server already.
 */
@ExtendWith(FaultOracle.class)
class FreshJvmMBeansTest {

    @Test
    void shouldRegisterInTheBackgroundAndUnregisterOnCloseInAJvmWithoutAnMBeanServer() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            Process p = ChildJvm.process(Child.class.getName(), echo.hostPort()).redirectErrorStream(true).start();
            try {
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child finished");
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, p.exitValue(), out);
                assertTrue(out.contains("no server before start"), out);
                assertTrue(out.contains("registered"), out);
                assertTrue(out.contains("unregistered after close"), out);
                assertTrue(out.contains("nothing left after an immediate close"), out);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /** The child JVM: exits 0 after printing one line per check that held, 1 at the first that did not. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            check(MBeanServerFactory.findMBeanServer(null).isEmpty(), "no server before start");
            ObjectName name;
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(args[0]).probe(null).build()) {
                lb.start();
                name = new ObjectName("io.lb4j:type=Balancer,name=\"127.0.0.1:" + lb.addresses().get(0).getPort() + "\"");
                MBeanServer server = ManagementFactory.getPlatformMBeanServer(); // the same one the balancer uses
                ObjectName registered = name;
                Await.settle(() -> server.isRegistered(registered), r -> r, Duration.ofSeconds(20));
                check(server.isRegistered(name), "registered");
            }
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            check(!server.isRegistered(name), "unregistered after close");
            // the server exists now, so this one registers within start(); close right away either way
            Balancer quick = Balancer.builder().listen("127.0.0.1:0").backend(args[0]).probe(null).build();
            quick.start();
            ObjectName quickName = new ObjectName("io.lb4j:type=Balancer,name=\"127.0.0.1:"
                    + quick.addresses().get(0).getPort() + "\"");
            check(server.isRegistered(quickName), "registered within start once a server exists");
            quick.close();
            check(server.queryNames(new ObjectName("io.lb4j:*"), null).isEmpty(), "nothing left after an immediate close");
        }

        private static void check(boolean condition, String what) {
            if (!condition) {
                System.out.println("FAILED: " + what);
                System.exit(1);
            }
            System.out.println(what);
        }
    }
}
