package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProbeOptionsTest {
    private static final String[] BASE = {"--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"};

    private static String[] with(String... more) {
        String[] args = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, args, 0, BASE.length);
        System.arraycopy(more, 0, args, BASE.length, more.length);
        return args;
    }

    /** Runs the CLI expecting exit 2; returns its one stderr line. */
    private static String refused(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        assertEquals(2, status);
        assertEquals(0, out.size());
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        return text.trim();
    }

    @Test
    void shouldAcceptEveryProbeSpecAndTheNewHealthOptions() {
        for (String spec : new String[] {"tcp", "none", "http:/health", "http:/ready?x=1", "websocket:/ws"}) {
            Options.parse(with("--probe", spec)).toBuilder().build();
        }
        Options.parse(with("--passive-failure-threshold", "0", "--close-on-unhealthy", "--panic-mode",
                "--initial-health", "up")).toBuilder().build();
        // with --probe none the probe options are accepted and ignored
        Options.parse(with("--probe", "none", "--probe-port", "8081", "--probe-interval", "1s", "--probe-timeout",
                "5s", "--unhealthy-threshold", "3", "--healthy-threshold", "2")).toBuilder().build();
    }

    @Test
    void shouldRefuseBadProbeOptionsWithExit2AndOneLineNamingTheOption() {
        assertTrue(refused(with("--probe", "http:health")).startsWith("lb4j: --probe: "));
        assertTrue(refused(with("--probe", "http:/a b")).startsWith("lb4j: --probe: path: "));
        assertTrue(refused(with("--probe", "websocket:")).startsWith("lb4j: --probe: "));
        assertTrue(refused(with("--passive-failure-threshold", "-1")).startsWith("lb4j: --passive-failure-threshold: "));
        assertTrue(refused(with("--initial-health", "maybe")).startsWith("lb4j: --initial-health: "));
        assertTrue(refused(with("--panic-mode=yes")).startsWith("lb4j: --panic-mode: takes no value"));
    }

    @Test
    void shouldListTheProbeSpecsInTheHelpAndNoLongerCallThemUnsupported() {
        assertTrue(Options.HELP.contains("http:/PATH") && Options.HELP.contains("websocket:/PATH"));
        assertTrue(!Options.HELP.contains("Not supported yet"), "every contract option is supported now");
    }
}
