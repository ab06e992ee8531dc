package io.lb4j.internal.cli;

import io.lb4j.Balancer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;

/**
 * One row of the command line: the flag, what its value looks like, the settings it feeds (the names
 * their own error messages use, so the CLI can say them as the flag), how the value is applied, and
 * its lines of {@code --help}. The parser, the help text and the wording of errors all read these
 * rows, so they cannot disagree; the rules and defaults stay with the setters the rows call.
 *
 * @param flag the option, such as {@code --idle-timeout}
 * @param arg what its value looks like ({@code D}, {@code HOST:PORT}), or {@code null} for a flag
 * @param arity whether a value follows
 * @param settings the names the fed setters use in their messages, such as {@code idleTimeout}
 * @param apply applies the value (or {@code null} for a flag) to what is being parsed
 * @param help the help text, one entry per line; none: listed on the previous row's line
 */
record Option(String flag, String arg, Arity arity, List<String> settings, Apply apply, List<String> help) {

    /** Whether a value follows the flag. */
    enum Arity {
        /** A flag: no value. */
        NONE,
        /** {@code --flag VALUE} or {@code --flag=VALUE}. */
        ONE,
        /** A value when the next argument is not an option, as {@code --rebalance [interval=D]}. */
        OPTIONAL
    }

    /** Applies a row's value; an {@link IllegalArgumentException} is a bad option (exit 2). */
    @FunctionalInterface
    interface Apply {
        void apply(Settings target, String value);
    }

    Option {
        if ((arity == Arity.NONE) != (arg == null) || (arity == Arity.OPTIONAL) != (arg != null && arg.startsWith("["))) {
            throw new IllegalStateException(flag + ": the value shown (" + arg + ") does not match " + arity);
        }
        settings = List.copyOf(settings);
        help = List.copyOf(help);
    }

    /** The flag with its value, as {@code --help} shows it. */
    String label() {
        return arg == null ? flag : flag + " " + arg;
    }

    // ---- rows by the kind of value they take ----

    /** A flag that turns a setting on. */
    static Option flag(String flag, String setting, Consumer<Settings> on, String... help) {
        return new Option(flag, null, Arity.NONE, settings(setting), (o, v) -> on.accept(o), List.of(help));
    }

    /** A value applied as given. */
    static Option value(String flag, String arg, String setting, Apply apply, String... help) {
        return new Option(flag, arg, Arity.ONE, settings(setting), apply, List.of(help));
    }

    /** A duration; the setter says whether {@code 0} means anything. */
    static Option duration(String flag, String setting, BiConsumer<Balancer.Builder, Duration> setter,
                           String... help) {
        return value(flag, "D", setting, (o, text) -> {
            Duration d = Values.duration(flag, text, true);
            try {
                setter.accept(o.builder(), d);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(asTyped(e.getMessage(), setting, text), e);
            }
        }, help);
    }

    /** An integer the setter checks. */
    static Option number(String flag, String setting, ObjIntConsumer<Balancer.Builder> setter, String... help) {
        return value(flag, "N", setting, (o, text) -> setter.accept(o.builder(), Values.integer(flag, text)), help);
    }

    /** An integer in the range the contract gives its {@code N}. */
    static Option number(String flag, int min, int max, String setting, ObjIntConsumer<Balancer.Builder> setter,
                         String... help) {
        return value(flag, "N", setting, (o, text) -> setter.accept(o.builder(), Values.integer(flag, text, min, max)), help);
    }

    /** One of the names in {@code choices}. */
    static <T> Option choice(String flag, String arg, String setting, Map<String, T> choices,
                             BiConsumer<Balancer.Builder, T> setter, String... help) {
        return value(flag, arg, setting, (o, text) -> setter.accept(o.builder(), Values.choice(flag, text, choices)), help);
    }

    private static List<String> settings(String setting) {
        return setting == null ? List.of() : List.of(setting.split("\\|"));
    }

    /**
     * A setter's message about a duration in the words of the syntax errors: the value quoted as it was
     * typed, and "positive" for "{@code > 0}" ({@code "probeInterval: 0 (expected: > 0)"} becomes
     * {@code "probeInterval: '0' (expected: a positive duration such as 5s)"}).
     */
    private static String asTyped(String message, String setting, String text) {
        String start = setting + ": ";
        if (!message.startsWith(start)) {
            return message;
        }
        int end = message.indexOf(' ', start.length());
        String rest = end < 0 ? "" : message.substring(end);
        return start + "'" + text + "'"
                + (rest.equals(" (expected: > 0)") ? " (expected: a positive duration such as 5s)" : rest);
    }
}
