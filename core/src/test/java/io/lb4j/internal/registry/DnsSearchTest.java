package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Backend;
import io.lb4j.testing.FaultOracle;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS as resolv.conf describes it, against real dnsmasq servers: every nameserver in order with
 * failover (the first one dead), the search list with ndots, as Kubernetes pods use them.
 */
@ExtendWith(FaultOracle.class)
class DnsSearchTest {
    @TempDir
    Path dir;

    private final List<List<Backend>> pushed = new CopyOnWriteArrayList<>();

    private static ResolvConf conf(List<InetSocketAddress> servers, List<String> search, int ndots, long timeoutMs) {
        return new ResolvConf(servers, search, ndots, TimeUnit.MILLISECONDS.toNanos(timeoutMs), 2);
    }

    private List<String> names() {
        List<String> names = new ArrayList<>();
        pushed.get(pushed.size() - 1).forEach(b -> names.add(b.name()));
        return names;
    }

    private Path sub(String name) throws Exception {
        return Files.createDirectories(dir.resolve(name));
    }

    @Test
    void shouldAskTheSecondNameserverWhenTheFirstIsDead() throws Exception {
        try (Dnsmasq first = Dnsmasq.start(sub("first"), 1, "host-record=app.example.test,127.0.0.7");
             Dnsmasq second = Dnsmasq.start(sub("second"), 1, "host-record=app.example.test,127.0.0.2")) {
            first.stop(); // dead: its port answers with ICMP port unreachable
            try (DnsRegistry registry = DnsRegistry.addresses("app.example.test", 80,
                    conf(List.of(first.address(), second.address()), List.of(), 1, 2_000))) {
                long startNs = System.nanoTime();
                registry.start(pushed::add);
                assertEquals(List.of("127.0.0.2:80"), names());
                long tookMs = (System.nanoTime() - startNs) / 1_000_000;
                assertTrue(tookMs < 2_000, "an unreachable server is left at once, not after its timeout: " + tookMs);
            }
        }
    }

    @Test
    void shouldAskTheSecondNameserverAfterTheFirstStaysSilentForTheTimeout() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             Dnsmasq second = Dnsmasq.start(sub("second"), 1, "host-record=app.example.test,127.0.0.3")) {
            InetSocketAddress blackHole = new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort());
            try (DnsRegistry registry = DnsRegistry.addresses("app.example.test", 80,
                    conf(List.of(blackHole, second.address()), List.of(), 1, 300))) {
                registry.start(pushed::add);
                assertEquals(List.of("127.0.0.3:80"), names());
            }
        }
    }

    @Test
    void shouldResolveShortKubernetesNamesThroughTheSearchList() throws Exception {
        // local=: the server owns cluster.test and answers NXDOMAIN for what it lacks, as a cluster DNS does
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, "local=/cluster.test/",
                "host-record=ws-backend.prod.svc.cluster.test,127.0.0.4",
                "host-record=ws-backend.prod.svc.cluster.test,127.0.0.5",
                "srv-host=_ws._tcp.ws-backend.prod.svc.cluster.test,ws-backend.prod.svc.cluster.test,9000")) {
            List<String> search = List.of("prod.svc.cluster.test", "svc.cluster.test", "cluster.test");
            ResolvConf conf = conf(List.of(dns.address()), search, 5, 1_000);
            for (String shortName : List.of("ws-backend", "ws-backend.prod", "ws-backend.prod.svc.cluster.test.")) {
                pushed.clear();
                try (DnsRegistry registry = DnsRegistry.addresses(shortName, 8080, conf)) {
                    registry.start(pushed::add);
                    assertEquals(List.of("127.0.0.4:8080", "127.0.0.5:8080"), names(), shortName);
                }
            }
            pushed.clear();
            try (DnsRegistry registry = DnsRegistry.srv("_ws._tcp.ws-backend", conf)) {
                registry.start(pushed::add);
                assertEquals(List.of("127.0.0.4:9000", "127.0.0.5:9000"), names(), "SRV through the search list");
            }
        }
    }

    @Test
    void shouldTryANameWithEnoughDotsAsItIsBeforeTheSearchList() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, "local=/test/", "host-record=db.example.test,127.0.0.6",
                "host-record=db.example.test.corp.test,127.0.0.8")) {
            try (DnsRegistry registry = DnsRegistry.addresses("db.example.test", 5432,
                    conf(List.of(dns.address()), List.of("corp.test"), 1, 1_000))) {
                registry.start(pushed::add);
                assertEquals(List.of("127.0.0.6:5432"), names(), "two dots >= ndots 1: as it is first");
            }
            pushed.clear();
            try (DnsRegistry registry = DnsRegistry.addresses("db.example.test", 5432,
                    conf(List.of(dns.address()), List.of("corp.test"), 3, 1_000))) {
                registry.start(pushed::add);
                assertEquals(List.of("127.0.0.8:5432"), names(), "two dots < ndots 3: the search list first");
            }
        }
    }

    @Test
    void shouldFailStartNamingEveryNameTriedWhenNoneExists() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, "local=/cluster.test/", "local=/app/",
                "host-record=other.cluster.test,127.0.0.2");
             DnsRegistry registry = DnsRegistry.addresses("missing.app", 80,
                     conf(List.of(dns.address()), List.of("ns.cluster.test", "cluster.test"), 2, 1_000))) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> registry.start(pushed::add));
            assertTrue(e.getMessage().contains("(tried missing.app.ns.cluster.test, missing.app.cluster.test, missing.app)"),
                    e.getMessage());
        }
    }

    @Test
    void shouldStopTheSearchWhenAServerRefusesInsteadOfTryingTheNextName() throws Exception {
        // REFUSED is no answer about the name (glibc stops there too): a later name must not stand in for it
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, "host-record=app,127.0.0.9");
             DnsRegistry registry = DnsRegistry.addresses("app", 80,
                     conf(List.of(dns.address()), List.of("elsewhere.test"), 1, 1_000))) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> registry.start(pushed::add));
            assertTrue(e.getMessage().endsWith("A app.elsewhere.test: REFUSED"), e.getMessage());
            assertTrue(pushed.isEmpty());
            assertTrue(pushed.isEmpty());
        }
    }
}
