package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.testing.FaultOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(FaultOracle.class)
class OptionsPolicyTest {

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "weighted-round-robin", "least-connections", "power-of-two",
            "five-tuple", "source-ip", "source-ip-protocol"})
    void shouldAcceptEveryPolicyOfTheContract(String name) {
        try (io.lb4j.Balancer lb = Options.parse("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--policy", name,
                "--probe", "none", "--threads", "1").toBuilder().build()) {
            lb.start();
            assertEquals(name, lb.explain(new java.net.InetSocketAddress("127.0.0.1", 5000)).policy(),
                    "the policy the option names is the one that runs");
        }
        assertFalse(Options.HELP.contains("policies weighted-round-robin"), "not listed as unsupported");
    }

    @Test
    void shouldAcceptSlowStartWithAWeightedPolicy() {
        Options.parse("--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--policy", "least-connections",
                "--slow-start", "30s").toBuilder().build();
    }

    @Test
    void shouldRefuseSlowStartWithAHashPolicyNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse(
                "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--slow-start", "30s"));
        assertEquals("--slow-start: not supported with --policy five-tuple (expected: weighted-round-robin, "
                + "least-connections or power-of-two)", e.getMessage());
    }

    @Test
    void shouldRefuseAZeroSlowStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse(
                "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--policy", "power-of-two", "--slow-start", "0"));
        assertEquals("--slow-start: '0' (expected: a positive duration such as 5s)", e.getMessage());
    }

    @Test
    void shouldRefuseAnUnknownPolicyListingTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.parse(
                "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--policy", "random"));
        assertEquals("--policy: 'random' (expected: round-robin, weighted-round-robin, least-connections, "
                + "power-of-two, five-tuple, source-ip, source-ip-protocol)", e.getMessage());
    }
}
