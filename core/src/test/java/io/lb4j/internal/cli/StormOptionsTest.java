package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The CLI's accept pacing and rebalancing options. */
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
        assertEquals("--rebalance: takes no value", refusal("--rebalance=yes"));
    }

    @Test
    void shouldDescribeEveryStormOptionInTheHelp() {
        for (String option : new String[] {"--accept-rate N[,burst=M]", "--backend-connect-rate N", "--rebalance"}) {
            assertTrue(Options.HELP.contains("  " + option), option);
        }
    }
}
