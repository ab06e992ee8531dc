package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The CLI's accept pacing and rebalancing options. */
class StormOptionsTest {
    private static final String[] BASE = {"--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"};

    private static String[] with(String... more) {
        String[] args = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, args, 0, BASE.length);
        System.arraycopy(more, 0, args, BASE.length, more.length);
        return args;
    }

    private static String refusal(String... more) {
        return assertThrows(IllegalArgumentException.class, () -> Options.parse(with(more)).toBuilder().build())
                .getMessage();
    }

    @Test
    void shouldAcceptRatesAndRebalanceAndBuild() {
        Options.parse(with("--accept-rate", "200,burst=50", "--backend-connect-rate", "20", "--rebalance"))
                .toBuilder().build();
        Options.parse(with("--accept-rate=200")).toBuilder().build();
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
