package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The edge options of the CLI contract: accepted when right, exit 2 with one line naming them when not. */
@ExtendWith(FaultOracle.class)
class EdgeOptionsTest {
    @Test
    void shouldRefuseBadEdgeValuesNamingTheOption() {
        assertTrue(CliRun.refusal("--proxy-protocol", "v3").startsWith("lb4j: --proxy-protocol: 'v3'"));
        assertTrue(CliRun.refusal("--allow", "10.0.0.1/8").startsWith("lb4j: --allow: '10.0.0.1/8'"));
        assertTrue(CliRun.refusal("--deny", "localhost").startsWith("lb4j: --deny: 'localhost'"));
        assertTrue(CliRun.refusal("--max-connections", "-1").startsWith("lb4j: --max-connections: -1"));
        assertTrue(CliRun.refusal("--max-connections-per-client", "x").startsWith("lb4j: --max-connections-per-client:"));
        assertTrue(CliRun.refusal("--accept-proxy-from", "10.0.0.0/8").startsWith("lb4j: --accept-proxy-from:"));
        assertTrue(CliRun.refusal("--accept-proxy-protocol=yes").startsWith("lb4j: --accept-proxy-protocol: takes no value"));
    }

    @Test
    void shouldAcceptEveryEdgeOptionAndDescribeItInTheHelp() {
        Options o = Options.parse(CliRun.with("--proxy-protocol", "v2", "--accept-proxy-protocol", "--accept-proxy-from",
                "10.0.0.0/8", "--accept-proxy-from", "fd00::/8", "--max-connections", "100",
                "--max-connections-per-client", "5", "--allow", "0.0.0.0/0", "--deny", "192.0.2.0/24"));
        o.toBuilder().build();
        for (String option : new String[] {"--proxy-protocol", "--accept-proxy-protocol", "--accept-proxy-from",
                "--max-connections ", "--max-connections-per-client", "--allow", "--deny"}) {
            assertTrue(Options.HELP.contains(" " + option), option);
        }
        assertFalse(Options.HELP.contains("Not supported yet"), "every contract option is supported now");
    }
}
