package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(FaultOracle.class)
class DnsRegistryTest {
    @TempDir
    Path dir;

    private final List<List<Backend>> pushed = new CopyOnWriteArrayList<>();

    private List<Backend> lastPushed() {
        return pushed.isEmpty() ? List.of() : pushed.get(pushed.size() - 1);
    }

    private static List<String> names(List<Backend> backends) {
        List<String> names = new ArrayList<>();
        backends.forEach(b -> names.add(b.name() + (b.weight() != 1 ? " w" + b.weight() : "")));
        return names;
    }

    @Test
    void shouldFollowARecordsAsTheyChange() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, "host-record=app.example.test,127.0.0.2",
                "host-record=app.example.test,127.0.0.3");
             BackendRegistry registry = BackendRegistry.dns("app.example.test", 8080, dns.address())) {
            registry.start(pushed::add);
            assertEquals(List.of("127.0.0.2:8080", "127.0.0.3:8080"), names(lastPushed()));

            dns.records("host-record=app.example.test,127.0.0.3", "host-record=app.example.test,127.0.0.4",
                    "host-record=app.example.test,::1");
            List<String> now = List.of("127.0.0.3:8080", "127.0.0.4:8080", "[0:0:0:0:0:0:0:1]:8080");
            Await.until(() -> "pushed " + pushed, () -> names(lastPushed()).equals(now), Duration.ofSeconds(5));
        }
    }

    @Test
    void shouldUseOnlyTheLowestSrvPriorityWithWeightZeroAsOne() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, 1,
                "host-record=one.example.test,127.0.0.11", "host-record=two.example.test,127.0.0.12",
                "host-record=backup.example.test,127.0.0.13",
                "srv-host=_ws._tcp.example.test,one.example.test,9001,10,5",
                "srv-host=_ws._tcp.example.test,two.example.test,9002,10,0",
                "srv-host=_ws._tcp.example.test,backup.example.test,9003,20,7");
             BackendRegistry registry = BackendRegistry.dnsSrv("_ws._tcp.example.test", dns.address())) {
            registry.start(pushed::add);
            assertEquals(List.of("127.0.0.11:9001 w5", "127.0.0.12:9002"), names(lastPushed()));

            dns.records("host-record=backup.example.test,127.0.0.13", "host-record=two.example.test,127.0.0.12",
                    "srv-host=_ws._tcp.example.test,two.example.test,9002,10,3",
                    "srv-host=_ws._tcp.example.test,backup.example.test,9003,20,7");
            Await.until(() -> "pushed " + pushed, () -> names(lastPushed()).equals(List.of("127.0.0.12:9002 w3")),
                    Duration.ofSeconds(5));
        }
    }

    @Test
    void shouldHonourTheTtlBeforeLookingAgain() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, 3, "host-record=ttl.example.test,127.0.0.2");
             BackendRegistry registry = BackendRegistry.dns("ttl.example.test", 80, dns.address())) {
            registry.start(pushed::add);
            long changedNs = System.nanoTime();
            dns.records("host-record=ttl.example.test,127.0.0.5");
            Await.until(() -> "pushed " + pushed, () -> names(lastPushed()).equals(List.of("127.0.0.5:80")),
                    Duration.ofSeconds(8));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changedNs);
            // the first answer was good for 3 s from start: the change cannot show before about then
            assertTrue(tookMs >= 1_500, "seen after " + tookMs + " ms, before the 3 s TTL ran out");
            assertEquals(2, pushed.size(), "pushed " + pushed);
        }
    }

    @Test
    void shouldKeepTheLastGoodSetWhenTheServerStopsAnswering() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, "host-record=keep.example.test,127.0.0.2");
             DnsRegistry registry = DnsRegistry.addresses("keep.example.test", 80, dns.address())) {
            registry.start(pushed::add);
            dns.stop();
            // a lookup against the stopped server fails ...
            assertThrows(Exception.class, () -> registry.lookup().get(5, TimeUnit.SECONDS));
            // ... and the registry's own refreshes (every 1 s) fail the same way without pushing
            Await.holdsFor(() -> "pushed " + pushed, () -> pushed.size() == 1, Duration.ofMillis(2_500));
            assertEquals(List.of("127.0.0.2:80"), names(lastPushed()));

            dns.records("host-record=keep.example.test,127.0.0.9");
            Await.until(() -> "pushed " + pushed, () -> names(lastPushed()).equals(List.of("127.0.0.9:80")),
                    Duration.ofSeconds(8));
        }
    }

    @Test
    void shouldRetryOverTcpWhenTheUdpAnswerIsTruncated() throws Exception {
        String[] records = new String[60];
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < records.length; i++) {
            records[i] = "host-record=many.example.test,127.0.1." + (i + 1);
            expected.add("127.0.1." + (i + 1) + ":80");
        }
        expected.sort(null);
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, records)) {
            // 60 A records (about 1,000 bytes) do not fit the 512-byte UDP limit
            DnsMessage udp;
            try (DnsResolver plain = new DnsResolver(dns.address(), TimeUnit.SECONDS.toNanos(1), 1)) {
                udp = plain.query("many.example.test", DnsMessage.A).get(5, TimeUnit.SECONDS);
            }
            assertEquals(60, udp.answers().size(), "answer after the TCP retry");
            try (BackendRegistry registry = BackendRegistry.dns("many.example.test", 80, dns.address())) {
                registry.start(pushed::add);
                assertEquals(expected, names(lastPushed()));
            }
        }
    }

    @Test
    void shouldFailStartWhenTheNameDoesNotExist() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start(dir, 1, "host-record=other.example.test,127.0.0.2");
             BackendRegistry registry = BackendRegistry.dns("missing.example.test", 80, dns.address())) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> registry.start(pushed::add));
            assertTrue(e.getMessage().startsWith("dns missing.example.test:80 via 127.0.0.1:"), e.getMessage());
            assertTrue(pushed.isEmpty());
        }
    }
}
