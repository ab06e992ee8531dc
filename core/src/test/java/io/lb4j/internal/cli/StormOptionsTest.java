package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CLI's accept pacing and rebalancing options. */
@ExtendWith(FaultOracle.class)
class StormOptionsTest {
    private static String refusal(String... more) {
        return assertThrows(IllegalArgumentException.class, () -> Options.parse(CliRun.with(more)).toBuilder().build())
                .getMessage();
    }

    @Test
    void shouldAcceptRatesAndRebalanceAndBuild() {
        Options.parse(CliRun.with("--accept-rate", "200,burst=50", "--backend-connect-rate", "20", "--rebalance"))
                .toBuilder().build();
        Options.parse(CliRun.with("--accept-rate=200")).toBuilder().build();
    }

    @Test
    void shouldRefuseBadValuesNamingTheOption() {
        assertTrue(refusal("--accept-rate", "0").startsWith("--accept-rate: 0 (expected: 1-1000000)"));
        assertTrue(refusal("--accept-rate", "10,bust=5").startsWith("--accept-rate: '10,bust=5'"));
        assertTrue(refusal("--accept-rate", "10,burst=0").startsWith("--accept-rate burst: 0 (expected: 1-1000000)"));
        assertTrue(refusal("--backend-connect-rate", "-1").startsWith("--backend-connect-rate: -1 (expected: 0-1000000)"));
        assertTrue(refusal("--rebalance=yes").startsWith("--rebalance: 'yes' (expected: interval=D,spread=F,rate=F"));
        assertTrue(refusal("--rebalance", "interval=5").startsWith("--rebalance interval: '5'"));
        assertTrue(refusal("--rebalance", "interval=5ms").startsWith("--rebalance interval: 5ms (expected: at least 10ms)"));
        assertTrue(refusal("--rebalance", "interval=0").startsWith("--rebalance interval: '0'"));
        assertTrue(refusal("--rebalance", "spread=0").startsWith("--rebalance spread: 0 (expected: above 0"));
        assertTrue(refusal("--rebalance", "spread=1e3").startsWith("--rebalance spread: '1e3'"));
        assertTrue(refusal("--rebalance", "spread=NaN").startsWith("--rebalance spread: 'NaN'"));
        assertTrue(refusal("--rebalance", "rate=1.5").startsWith("--rebalance rate: 1.5 (expected: above 0 and at most 1)"));
        assertTrue(refusal("--rebalance", "rate=-0.1").startsWith("--rebalance rate: '-0.1'"));
        assertTrue(refusal("--rebalance", "rate=0.1,rate=0.2").startsWith("--rebalance: 'rate=0.1,rate=0.2'"));
        assertTrue(refusal("--rebalance", "interval=1s,").startsWith("--rebalance: 'interval=1s,'"));
    }

    @Test
    void shouldTakeRebalanceParametersEachOptionalAndKeepTheDefaultsForTheBareFlag() {
        java.time.Duration second = java.time.Duration.ofSeconds(1);
        assertRebalance(second, 0.2, 0.1, CliRun.with("--rebalance"));
        assertRebalance(second, 0.2, 0.1, CliRun.with("--rebalance", "--probe", "none"));
        assertRebalance(java.time.Duration.ofMillis(250), 0.5, 1.0,
                CliRun.with("--rebalance", "interval=250ms,spread=0.5,rate=1"));
        assertRebalance(java.time.Duration.ofSeconds(2), 0.2, 0.05, CliRun.with("--rebalance=rate=0.05,interval=2s"));
        assertRebalance(second, 3.0, 0.1, CliRun.with("--rebalance", "spread=3"));
    }

    /** The rebalancing the command line asks for, and a balancer built from it. */
    private static void assertRebalance(java.time.Duration interval, double spread, double rate, String... args) {
        Options o = Options.parse(args);
        assertEquals(interval, o.rebalanceInterval(), String.join(" ", args));
        assertEquals(spread, o.rebalanceSpread(), 1e-9, String.join(" ", args));
        assertEquals(rate, o.rebalanceRate(), 1e-9, String.join(" ", args));
        o.toBuilder().build();
    }

    @Test
    void shouldDescribeEveryStormOptionInTheHelp() {
        for (String option : new String[] {"--accept-rate N[,burst=M]", "--backend-connect-rate N",
                "--rebalance [interval=D,spread=F,rate=F]"}) {
            assertTrue(Options.HELP.contains("  " + option), option);
        }
    }
}
