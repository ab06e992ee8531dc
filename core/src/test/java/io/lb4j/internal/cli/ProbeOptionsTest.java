package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class ProbeOptionsTest {
    @Test
    void shouldAcceptEveryProbeSpecAndTheNewHealthOptions() {
        for (String spec : new String[] {"tcp", "none", "http:/health", "http:/ready?x=1", "websocket:/ws"}) {
            Options.parse(CliRun.with("--probe", spec)).toBuilder().build();
        }
        Options.parse(CliRun.with("--passive-failure-threshold", "0", "--close-on-unhealthy", "--panic-mode",
                "--initial-health", "up")).toBuilder().build();
        // with --probe none the probe options are accepted and ignored
        Options.parse(CliRun.with("--probe", "none", "--probe-port", "8081", "--probe-interval", "1s", "--probe-timeout",
                "5s", "--unhealthy-threshold", "3", "--healthy-threshold", "2")).toBuilder().build();
    }

    @Test
    void shouldRefuseBadProbeOptionsWithExit2AndOneLineNamingTheOption() {
        assertTrue(CliRun.refusal("--probe", "http:health").startsWith("lb4j: --probe: "));
        assertTrue(CliRun.refusal("--probe", "http:/a b").startsWith("lb4j: --probe: path: "));
        assertTrue(CliRun.refusal("--probe", "websocket:").startsWith("lb4j: --probe: "));
        assertTrue(CliRun.refusal("--passive-failure-threshold", "-1").startsWith("lb4j: --passive-failure-threshold: "));
        assertTrue(CliRun.refusal("--initial-health", "maybe").startsWith("lb4j: --initial-health: "));
        assertTrue(CliRun.refusal("--panic-mode=yes").startsWith("lb4j: --panic-mode: takes no value"));
    }

    @Test
    void shouldListTheProbeSpecsInTheHelpAndNoLongerCallThemUnsupported() {
        assertTrue(Options.HELP.contains("http:/PATH") && Options.HELP.contains("websocket:/PATH"));
        assertTrue(!Options.HELP.contains("Not supported yet"), "every contract option is supported now");
    }
}
