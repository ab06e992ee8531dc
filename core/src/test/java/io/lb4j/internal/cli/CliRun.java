package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The option tests' shared steps: a minimal valid command line, and a run the CLI must refuse. */
final class CliRun {
    /** The least a valid command line needs. */
    static final String[] BASE = {"--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9"};

    private CliRun() {
    }

    /** {@link #BASE} followed by {@code more}. */
    static String[] with(String... more) {
        String[] args = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, args, 0, BASE.length);
        System.arraycopy(more, 0, args, BASE.length, more.length);
        return args;
    }

    /**
     * Runs the CLI on {@link #BASE} plus {@code more}, which it must refuse: exit 2, nothing on standard
     * output, exactly one line on standard error, which is returned without its line break.
     */
    static String refusal(String... more) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), with(more));
        assertEquals(2, status);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        return text.strip();
    }
}
