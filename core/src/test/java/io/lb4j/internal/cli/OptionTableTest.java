package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The option table: what {@code --help} shows is what the parser does, and the builder's messages
 * come out in the words of the command line.
 */
@ExtendWith(FaultOracle.class)
class OptionTableTest {

    /** Every option {@code --help} lists, as {@code [flag, value shown]} (value {@code ""} for a flag). */
    private static List<String[]> helpLabels() {
        List<String[]> labels = new ArrayList<>();
        for (String line : Options.HELP.split("\n")) {
            if (!line.startsWith("  --")) {
                continue;
            }
            int end = line.indexOf("  ", 2);
            for (String label : line.substring(2, end < 0 ? line.length() : end).split(", ")) {
                int space = label.indexOf(' ');
                labels.add(new String[] {space < 0 ? label : label.substring(0, space),
                    space < 0 ? "" : label.substring(space + 1)});
            }
        }
        return labels;
    }

    private static String refusal(String... more) {
        return assertThrows(IllegalArgumentException.class, () -> Options.parse(CliRun.with(more))).getMessage();
    }

    @Test
    void shouldTakeAValueExactlyWhereTheHelpShowsOne() {
        List<String[]> labels = helpLabels();
        assertTrue(labels.size() == OptionTable.ROWS.size(), labels.size() + " options in the help, "
                + OptionTable.ROWS.size() + " rows");
        for (String[] label : labels) {
            String flag = label[0];
            String shown = label[1];
            if (shown.isEmpty()) {
                assertEquals(flag + ": takes no value", refusal(flag + "=x"), flag);
            } else if (shown.startsWith("[")) {
                Options.parse(CliRun.with(flag)); // the value is optional
            } else {
                assertEquals(flag + ": missing value", refusal(flag), flag);
            }
        }
    }

    @Test
    void shouldLayTheHelpOutAsOneColumnOfLabelsAndOneOfDescriptions() {
        String help = OptionTable.help(); // made afresh: Options.HELP is made once, when the class loads
        String[] lines = help.split("\n", -1);
        assertTrue(help.startsWith("Usage: java -jar lb4j-core.jar --listen HOST:PORT --backend HOST:PORT"),
                lines[0]);
        assertTrue(help.endsWith("\nDurations: 0 or a positive integer with ms, s, m or h (250ms, 5s, 4m, 1h).\n\n"),
                "the durations footer ends the help");
        int column = -1;
        int labelLines = 0;
        boolean inRows = false;
        for (String line : lines) {
            if (line.startsWith("  --")) {
                inRows = true;
                labelLines++;
                int gap = line.indexOf("  ", 2);
                if (gap > 0) {
                    int description = gap;
                    while (line.charAt(description) == ' ') {
                        description++;
                    }
                    column = column < 0 ? description : column;
                    assertEquals(column, description, "one description column: " + line);
                }
            } else if (inRows && !line.isEmpty()) {
                assertTrue(line.startsWith(" ".repeat(column)) && line.charAt(column) != ' ', "a continuation"
                        + " starts in the description column: '" + line + "'");
            } else if (inRows) {
                break; // the footer
            }
        }
        assertTrue(column > 20, "a description column: " + column);
        int merged = 0;
        for (Option row : OptionTable.ROWS) {
            merged += row.help().isEmpty() ? 1 : 0;
        }
        assertEquals(OptionTable.ROWS.size() - merged, labelLines, "a row without help shares the line before it");
        for (String line : lines) {
            if (line.startsWith("  --") && line.indexOf("  ", 2) < 0) {
                assertTrue(line.length() + 1 >= column, "only a label too long for the column has its description"
                        + " on the next line: " + line);
            }
        }
    }

    @Test
    void shouldRefuseARowWhoseShownValueDoesNotMatchWhetherItTakesOne() {
        Option.Apply none = (settings, value) -> { };
        for (Object[] bad : new Object[][] {{"N", Option.Arity.NONE}, {null, Option.Arity.ONE},
            {"[N]", Option.Arity.ONE}, {"N", Option.Arity.OPTIONAL}, {null, Option.Arity.OPTIONAL}}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Option("--x", (String) bad[0],
                    (Option.Arity) bad[1], List.of(), none, List.of("help")), bad[0] + " " + bad[1]);
            assertTrue(e.getMessage().startsWith("--x: the value shown"), e.getMessage());
        }
        assertEquals("--x [N]", new Option("--x", "[N]", Option.Arity.OPTIONAL, List.of(), none, List.of("h")).label());
        assertEquals("--x", new Option("--x", null, Option.Arity.NONE, List.of(), none, List.of("h")).label());
    }

    @Test
    void shouldSayEverySettingOfTheBuilderAsTheFlagThatFeedsIt() {
        int settings = 0;
        for (Option row : OptionTable.ROWS) {
            for (String setting : row.settings()) {
                settings++;
                assertEquals(row.flag() + ": 0 (expected: at least 1)",
                        OptionTable.reword(setting + ": 0 (expected: >= 1)"), setting);
            }
        }
        assertTrue(settings > 40, settings + " settings");
    }

    @Test
    void shouldNameOtherSettingsButLeaveProseAndValuesAlone() {
        assertEquals("--drain-pacing: 1m (expected: at most --drain-timeout 30s)",
                OptionTable.reword("drainPacing: 1m (expected: <= drainTimeout 30s)"));
        assertEquals("--accept-proxy-from: given without --accept-proxy-protocol (expected: both or neither)",
                OptionTable.reword("acceptProxyFrom: given without acceptProxyProtocol(true) (expected: both or neither)"));
        assertEquals("--backend: 'h:1' given twice (expected: each backend once)",
                OptionTable.reword("backend: 'h:1' given twice (expected: each backend once)"));
        assertEquals("--probe-ca: /etc/policy/ca.pem: no such file",
                OptionTable.reword("trustCertificates: /etc/policy/ca.pem: no such file"));
        assertEquals("--probe-insecure: given with --probe-ca ca.pem (expected: one or the other)",
                OptionTable.reword("insecureTrustAnyCertificate: true with trustCertificates ca.pem (expected: one or the other)"));
        assertEquals("--reuse-port: --listen policy:0 has port 0 (expected: a fixed port)",
                OptionTable.reword("reusePort: listen address policy:0 has port 0 (expected: a fixed port)"),
                "a value that starts with a setting's name is a value");
        assertEquals("path: 'a b' (expected: /PATH)", OptionTable.reword("path: 'a b' (expected: /PATH)"),
                "a message that starts with no setting stays as it is");
        assertFalse(OptionTable.reword("listenAddress: x").startsWith("--listen"), "only whole names");
    }
}
