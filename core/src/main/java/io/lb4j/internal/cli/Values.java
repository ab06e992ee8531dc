package io.lb4j.internal.cli;

import io.lb4j.internal.Durations;
import java.time.Duration;
import java.util.Map;

/**
 * The syntax of option values the contract fixes: its durations, plain ASCII integers (in the range
 * the contract states for an {@code N}, where it states one), decimals and names. Rules on what a
 * value means are the setters'; each error here names the option and what is wrong.
 */
final class Values {
    private Values() {
    }

    /** The contract's duration syntax; {@code 0} only when {@code zero}. */
    static Duration duration(String what, String text, boolean zero) {
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        }
        if (d.isZero() && !zero) {
            throw new IllegalArgumentException(what + ": '0' (expected: a positive duration such as 5s)");
        }
        return d;
    }

    /** An integer of plain ASCII digits that fits an {@code int}; the setter checks its range. */
    static int integer(String what, String text) {
        // ASCII only: Long.parseLong also takes '+' and other scripts' digits
        if (!text.matches("-?[0-9]{1,10}") || Long.parseLong(text) != (int) Long.parseLong(text)) {
            throw new IllegalArgumentException(what + ": '" + text + "' (expected: an integer)");
        }
        return Integer.parseInt(text);
    }

    /** An integer of plain ASCII digits from {@code min} to {@code max}. */
    static int integer(String what, String text, int min, int max) {
        if (!text.matches("-?[0-9]{1,18}")) {
            throw new IllegalArgumentException(what + ": '" + text + "' (expected: an integer " + min + "-" + max + ")");
        }
        long n = Long.parseLong(text);
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + ": " + text + " (expected: " + min + "-" + max + ")");
        }
        return (int) n;
    }

    /** A decimal above 0 and at most {@code max}, plain ASCII digits with an optional fraction ({@code 0.2}). */
    static double fraction(String what, String text, int max) {
        if (!text.matches("[0-9]{1,6}(\\.[0-9]{1,6})?")) {
            throw new IllegalArgumentException(what + ": '" + text + "' (expected: a decimal number such as 0.2)");
        }
        double d = Double.parseDouble(text);
        if (!(d > 0) || d > max) {
            throw new IllegalArgumentException(what + ": " + text + " (expected: above 0 and at most " + max + ")");
        }
        return d;
    }

    /** The value {@code text} names in {@code choices}. */
    static <T> T choice(String what, String text, Map<String, T> choices) {
        T value = choices.get(text);
        if (value == null) {
            throw new IllegalArgumentException(what + ": '" + text + "' (expected: "
                    + String.join(", ", choices.keySet()) + ")");
        }
        return value;
    }
}
