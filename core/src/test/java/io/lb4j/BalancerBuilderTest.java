package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class BalancerBuilderTest {

    private static void rejects(String setting, Consumer<Balancer.Builder> bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bad.accept(Balancer.builder()));
        assertTrue(e.getMessage().startsWith(setting + ":"), "message names " + setting + ": " + e.getMessage());
    }

    @Test
    void shouldRejectEachBadSettingAtOnceNamingIt() {
        rejects("idleTimeout", b -> b.idleTimeout(Duration.ofSeconds(-1)));
        rejects("connectTimeout", b -> b.connectTimeout(Duration.ZERO));
        rejects("connectTimeout", b -> b.connectTimeout(Duration.ofMillis(-5)));
        rejects("probeInterval", b -> b.probeInterval(Duration.ZERO));
        rejects("probeTimeout", b -> b.probeTimeout(Duration.ofSeconds(-2)));
        rejects("drainTimeout", b -> b.drainTimeout(Duration.ofSeconds(-1)));
        rejects("unhealthyThreshold", b -> b.unhealthyThreshold(0));
        rejects("healthyThreshold", b -> b.healthyThreshold(-1));
        rejects("connectAttempts", b -> b.connectAttempts(0));
        rejects("eventLoops", b -> b.eventLoops(0));
        rejects("eventLoops", b -> b.eventLoops(5000));
        rejects("probePort", b -> b.probePort(70000));
        rejects("listen", b -> b.listen("no-port"));
        rejects("listen", b -> b.listen("127.0.0.1:99999"));
        rejects("listen", b -> b.listen("[::1:80"));
        rejects("backend", b -> b.backend("nohost"));
        rejects("backend port", b -> b.backend("127.0.0.1:0"));
        rejects("backend port", b -> b.backend("127.0.0.1:x"));
        rejects("backend weight", b -> b.backend(Backend.of("h", 1).withWeight(0)));
        rejects("backend weight", b -> b.backend(Backend.of("h", 1).withWeight(1001)));
        rejects("backend maxConnections", b -> b.backend(Backend.of("h", 1).withMaxConnections(-1)));
    }

    @Test
    void shouldCheckRulesAcrossSettingsAtBuild() {
        rejects("listen", b -> b.backend("127.0.0.1:1").build());
        rejects("backends", b -> b.listen("127.0.0.1:0").build());
        rejects("registry", b -> b.listen("127.0.0.1:0").backend("127.0.0.1:1")
                .registry(BackendRegistry.fixed(java.util.List.of(Backend.of("127.0.0.1", 2)))).build());
    }

    @Test
    void shouldFailStartNamingTheAddressWhenItIsInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Balancer lb = Balancer.builder().listen("127.0.0.1:" + taken.getLocalPort()).backend("127.0.0.1:1")
                    .probe(null).build();
            UncheckedIOException e = assertThrows(UncheckedIOException.class, lb::start);
            assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
            assertThrows(IllegalStateException.class, lb::start, "a failed balancer does not start again");
        }
    }

    @Test
    void shouldFailStartOnUnknownBackendHost() {
        Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("no-such-host.invalid:80").probe(null).build();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, lb::start);
        assertTrue(e.getMessage().contains("no-such-host.invalid:80"), e.getMessage());
    }

    @Test
    void shouldGiveRealPortsForPortZeroInOrderOnIpv4AndIpv6() {
        try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").listen("[::1]:0").backend("127.0.0.1:1")
                .probe(null).eventLoops(2).build()) {
            lb.start();
            assertEquals(2, lb.addresses().size());
            InetSocketAddress v4 = lb.addresses().get(0);
            InetSocketAddress v6 = lb.addresses().get(1);
            assertTrue(v4.getPort() > 0 && v6.getPort() > 0);
            assertEquals("127.0.0.1", v4.getAddress().getHostAddress());
            assertTrue(v6.getAddress() instanceof java.net.Inet6Address);
        }
    }

    @Test
    void shouldRefuseAddressesBeforeStartAndStartAfterClose() {
        Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:1").probe(null).build();
        assertThrows(IllegalStateException.class, lb::addresses);
        lb.close();
        assertThrows(IllegalStateException.class, lb::start);
    }
}
