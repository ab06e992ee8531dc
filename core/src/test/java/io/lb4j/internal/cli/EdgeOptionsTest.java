package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The edge options of the CLI contract: accepted when right, exit 2 with one line naming them when not. */
class EdgeOptionsTest {
    private static final String[] BASE = {"--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"};

    private static String[] with(String... more) {
        String[] args = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, args, 0, BASE.length);
        System.arraycopy(more, 0, args, BASE.length, more.length);
        return args;
    }

    private static String refusal(String... more) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), with(more));
        assertEquals(2, status);
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        return text;
    }

    @Test
    void shouldRefuseBadEdgeValuesNamingTheOption() {
        assertTrue(refusal("--proxy-protocol", "v3").startsWith("lb4j: --proxy-protocol: 'v3'"));
        assertTrue(refusal("--allow", "10.0.0.1/8").startsWith("lb4j: --allow: '10.0.0.1/8'"));
        assertTrue(refusal("--deny", "localhost").startsWith("lb4j: --deny: 'localhost'"));
        assertTrue(refusal("--max-connections", "-1").startsWith("lb4j: --max-connections: -1"));
        assertTrue(refusal("--max-connections-per-client", "x").startsWith("lb4j: --max-connections-per-client:"));
        assertTrue(refusal("--accept-proxy-from", "10.0.0.0/8").startsWith("lb4j: --accept-proxy-from:"));
        assertTrue(refusal("--accept-proxy-protocol=yes").startsWith("lb4j: --accept-proxy-protocol: takes no value"));
    }

    @Test
    void shouldAcceptEveryEdgeOptionAndDescribeItInTheHelp() {
        Options o = Options.parse(with("--proxy-protocol", "v2", "--accept-proxy-protocol", "--accept-proxy-from",
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
