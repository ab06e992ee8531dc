package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.testing.FaultOracle;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link Balancer.Builder#slowStart(Duration)}: for whichever policy is set, checked by {@code build()}. */
@ExtendWith(FaultOracle.class)
class BuilderSlowStartTest {
    private static Balancer.Builder base() {
        return Balancer.builder().listen("127.0.0.1:0").backend("127.0.0.1:9");
    }

    @Test
    void shouldTakeSlowStartBeforeOrAfterARampingPolicy() {
        base().slowStart(Duration.ofSeconds(30)).policy(BalancingPolicy.leastConnections()).build();
        base().policy(BalancingPolicy.powerOfTwo()).slowStart(Duration.ofSeconds(30)).build();
        base().policy(BalancingPolicy.weightedRoundRobin()).slowStart(Duration.ofMillis(1)).build();
    }

    @Test
    void shouldRefuseAPolicyThatCannotRampAtBuildNamingBoth() {
        IllegalArgumentException byDefault = assertThrows(IllegalArgumentException.class,
                () -> base().slowStart(Duration.ofSeconds(30)).build());
        assertEquals("slowStart: not supported with policy five-tuple (expected: weighted-round-robin, "
                + "least-connections or power-of-two)", byDefault.getMessage());
        IllegalArgumentException hash = assertThrows(IllegalArgumentException.class,
                () -> base().slowStart(Duration.ofSeconds(30)).policy(BalancingPolicy.sourceIp()).build());
        assertEquals("slowStart: not supported with policy source-ip (expected: weighted-round-robin, "
                + "least-connections or power-of-two)", hash.getMessage());
    }

    @Test
    void shouldRefuseAWindowThatIsNotPositiveAtOnce() {
        assertEquals("slowStart: 0 (expected: > 0)", assertThrows(IllegalArgumentException.class,
                () -> Balancer.builder().slowStart(Duration.ZERO)).getMessage());
        assertEquals("slowStart: -1s (expected: > 0)", assertThrows(IllegalArgumentException.class,
                () -> Balancer.builder().slowStart(Duration.ofSeconds(-1))).getMessage());
    }
}
