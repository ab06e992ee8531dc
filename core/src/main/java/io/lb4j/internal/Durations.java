package io.lb4j.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * The one duration syntax of the CLI contract: {@code 0}, or a positive integer followed by
 * {@code ms}, {@code s}, {@code m} or {@code h}; no fractions, no compound forms. Also the checks of
 * duration settings, shared by the builder and the CLI so that both word their errors alike.
 */
public final class Durations {
    /** The longest duration accepted: far beyond any timeout, far below where nanosecond arithmetic overflows. */
    public static final Duration MAX = Duration.ofHours(100_000);

    private Durations() {
    }

    /** Rejects null, zero and negative durations. */
    public static Duration positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + ": " + format(value) + " (expected: > 0)");
        }
        return value;
    }

    /** Rejects null and negative durations. */
    public static Duration nonNegative(String setting, Duration value) {
        Objects.requireNonNull(value, setting);
        if (value.isNegative()) {
            throw new IllegalArgumentException(setting + ": " + format(value) + " (expected: >= 0)");
        }
        return value;
    }

    /**
     * Parses the contract's syntax.
     *
     * @throws IllegalArgumentException when the text is not of that form (ASCII digits only) or is
     *     longer than {@link #MAX}
     */
    public static Duration parse(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        int unitAt = 0;
        while (unitAt < text.length() && text.charAt(unitAt) >= '0' && text.charAt(unitAt) <= '9') {
            unitAt++;
        }
        if (unitAt == 0 || unitAt > 12 || text.charAt(0) == '0') {
            throw new IllegalArgumentException("'" + text + "' (expected: 0 or a positive integer with ms, s, m or h)");
        }
        long n = Long.parseLong(text.substring(0, unitAt));
        Duration d;
        switch (text.substring(unitAt)) {
            case "ms": d = Duration.ofMillis(n); break;
            case "s": d = Duration.ofSeconds(n); break;
            case "m": d = Duration.ofMinutes(n); break;
            case "h": d = Duration.ofHours(n); break;
            default:
                throw new IllegalArgumentException("'" + text + "' (expected: 0 or a positive integer with ms, s, m or h)");
        }
        if (d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("'" + text + "' (expected: at most " + format(MAX) + ")");
        }
        return d;
    }

    /** The shortest exact form in the same syntax ({@code 4m}, {@code 250ms}); sub-millisecond as {@code ns}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        long ns = d.toNanos();
        if (ns % 1_000_000 != 0) {
            return ns + "ns";
        }
        long ms = ns / 1_000_000;
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
