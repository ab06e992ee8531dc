package io.lb4j.benchmarks.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The embedded harness of {@code compare.sh --jvm host-g1} in smoke mode for CI: lb4j started through
 * the public API inside a host that allocates, checked traffic through it for about a second. It checks
 * that traffic flowed, the host allocated meanwhile and everything stopped at close, never how fast.
 */
class HostJvmSmokeTest {

    @Test
    void shouldRelayCheckedRequestsWhileTheHostAllocatesAndStopBothAtClose() throws Exception {
        try (BackendServer backends = BackendServer.start(BackendServer.Mode.HTTP, "127.0.0.1", 0, 0)) {
            List<String> backendAddresses = backends.addresses().stream()
                    .map(a -> "127.0.0.1:" + a.getPort()).toList();
            HostJvm host = HostJvm.start(List.of("127.0.0.1:0"), backendAddresses, 1, 20, 8);
            LoadClient.Result result;
            long allocatedBefore;
            try {
                InetSocketAddress target = host.balancer().addresses().get(0);
                allocatedBefore = host.allocatedBytes();
                LoadClient.Config config = new LoadClient.Config();
                config.workload = LoadClient.Workload.RR;
                config.target = target;
                config.connections = 8;
                config.depth = 2;
                config.warmupSeconds = 0.3;
                config.durationSeconds = 1;
                config.proxyPid = ProcessHandle.current().pid();
                config.hostThreads = HostJvm.THREAD_PREFIX;
                config.label = "lb4j-host";
                result = LoadClient.run(config);

                assertTrue(host.allocatedBytes() > allocatedBefore, "the host allocated while traffic flowed");
                assertEquals(0, host.balancer().stats().rejectedConnections(), result.line());
            } finally {
                host.close();
            }

            assertEquals(0, result.errors, result.line());
            assertTrue(result.ops > 0, result.line());
            assertTrue(result.values.containsKey("hostCpuPct"), result.line());
            assertFalse(host.allocating(), "the host thread ended at close");
            assertEquals(0, host.balancer().stats().activeConnections(), "no pair left behind");
        }
    }
}
