package io.lb4j.internal.cli;

import io.lb4j.Balancer;
import io.lb4j.internal.registry.AdminOverrides;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A command line, parsed: each argument goes to its row of {@link OptionTable}, which applies it to
 * the {@link Settings} (mostly straight to the {@link Balancer.Builder}); then the whole is checked.
 * Every error names the option and what is wrong, in one line.
 */
final class Options {
    /** {@code --help}, made from the rows. */
    static final String HELP = OptionTable.help();

    private final Settings settings = new Settings();

    private Options() {
    }

    /**
     * Applies {@code args} and checks them together.
     *
     * @throws IllegalArgumentException in the words of the command line, for the first bad option
     */
    static Options parse(String... args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!name.startsWith("--")) {
                throw new IllegalArgumentException(arg + ": unexpected argument (options start with --; see --help)");
            }
            Option row = OptionTable.row(name);
            if (row == null) {
                throw new IllegalArgumentException(name + ": unknown option (see --help)");
            }
            switch (row.arity()) {
                case NONE:
                    if (value != null) {
                        throw new IllegalArgumentException(name + ": takes no value");
                    }
                    break;
                case ONE:
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(name + ": missing value");
                        }
                        value = args[++i];
                    }
                    break;
                default: // OPTIONAL: the next argument is its value unless it is an option
                    if (value == null && i + 1 < args.length && !args[i + 1].startsWith("--")) {
                        value = args[++i];
                    }
            }
            o.apply(row, value);
        }
        if (!o.help() && !o.version()) {
            try {
                o.settings.finish();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(OptionTable.reword(e.getMessage()), e);
            }
        }
        return o;
    }

    /** Applies one row; a setter's message is said as the row's flag, any other is prefixed with it. */
    private void apply(Option row, String value) {
        try {
            row.apply().apply(settings, value);
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            boolean own = row.settings().stream().anyMatch(s -> message.startsWith(s + ":") || message.startsWith(s + " "));
            throw new IllegalArgumentException(message.startsWith("--") ? message
                    : own ? OptionTable.reword(message) : row.flag() + ": " + message, e);
        }
    }

    boolean help() {
        return settings.help();
    }

    boolean version() {
        return settings.version();
    }

    boolean accessLog() {
        return settings.accessLog();
    }

    boolean reusePort() {
        return settings.reusePort();
    }

    /** The admin API's address, or {@code null} when off. */
    InetSocketAddress admin() {
        return settings.admin();
    }

    /** The admin token, or {@code null} for none; never printed. */
    String adminToken() {
        return settings.adminToken();
    }

    /** The registry the admin API changes, or {@code null} without {@code --admin}. */
    AdminOverrides overrides() {
        return settings.overrides();
    }

    Duration rebalanceInterval() {
        return settings.rebalanceInterval();
    }

    double rebalanceSpread() {
        return settings.rebalanceSpread();
    }

    double rebalanceRate() {
        return settings.rebalanceRate();
    }

    /** The builder every option went to, checked; the runner adds its listener and builds. */
    Balancer.Builder toBuilder() {
        return settings.builder();
    }
}
