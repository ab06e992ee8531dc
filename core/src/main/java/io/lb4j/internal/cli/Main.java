package io.lb4j.internal.cli;

import io.lb4j.Balancer;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.OptionalModules;
import io.lb4j.internal.registry.FileRegistry;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The standalone runner ({@code java -jar lb4j-core.jar}), as the CLI contract describes: options
 * to a {@link Balancer}, the ready line, exit codes 0 / 1 / 2, a drain on SIGTERM or SIGINT, and a
 * hand-over on SIGUSR2 with {@code --reuse-port}.
 */
public final class Main {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    private static final String STOP = "stop";
    private static final String HAND_OVER = "hand-over";

    private Main() {
    }

    /** Held: a logger only weakly referenced could be collected with its handler. */
    private static Logger badLines;

    /**
     * A bad line of a backends file is reported as {@code PATH:LINE: reason}, the line starting with
     * the path (the contract), not with the runner's {@code lb4j: LEVEL:} prefix. Only with
     * {@code --backends-file}: setting up a handler here costs start-up time otherwise spent off
     * the main thread.
     */
    private static void badLinesBare() {
        Formatter bare = new Formatter() {
            @Override
            public String format(LogRecord record) {
                return formatMessage(record) + System.lineSeparator();
            }
        };
        StreamHandler handler = new StreamHandler(System.err, bare) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        badLines = Logger.getLogger(FileRegistry.BAD_LINES);
        badLines.addHandler(handler);
        badLines.setUseParentHandlers(false);
    }

    /** Runs and exits with the status {@link #run} returns. */
    public static void main(String... args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            // one line per message on standard error, no stack traces (the CLI contract)
            System.setProperty("java.util.logging.SimpleFormatter.format", "lb4j: %4$s: %5$s%n");
            if (Arrays.stream(args).anyMatch(a -> a.equals("--backends-file")
                    || a.startsWith("--backends-file="))) {
                badLinesBare();
            }
        }
        if (OptionalModules.readable("java.logging")) {
            // the runner owns its JVM's logging: its handlers are made now, not on the first message,
            // which may come when no file descriptor is left to make them with
            Logger.getLogger("").getHandlers();
        }
        // one line, never a stack trace, also for what nothing else catches
        Thread.setDefaultUncaughtExceptionHandler((thread, e) ->
                System.err.println(oneLine("thread " + thread.getName() + ": " + e)));
        int status;
        try {
            status = run(System.out, System.err, args);
        } catch (RuntimeException e) {
            System.err.println(oneLine("failed: " + e));
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    /**
     * Parses {@code args}, runs the balancer until SIGTERM or SIGINT (or a hand-over on SIGUSR2),
     * drains, and returns the exit status: 0 after a drain or for {@code --help}/{@code --version},
     * 1 when start fails, 2 for bad options.
     */
    public static int run(PrintStream out, PrintStream err, String... args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(oneLine(e.getMessage()));
            return 2;
        }
        if (options.help()) {
            out.print(Options.HELP);
            out.flush();
            return 0;
        }
        if (options.version()) {
            out.println("lb4j " + version());
            out.flush();
            return 0;
        }
        Balancer balancer;
        AccessLog accessLog = options.accessLog() ? new AccessLog(out) : null;
        try {
            Balancer.Builder builder = options.toBuilder();
            if (accessLog != null) {
                builder.listener(accessLog);
            }
            balancer = builder.build();
        } catch (IllegalArgumentException e) {
            err.println(oneLine(OptionTable.reword(e.getMessage())));
            return 2;
        }
        BlockingQueue<String> asked = new LinkedBlockingQueue<>();
        AtomicInteger signals = new AtomicInteger();
        AtomicBoolean handingOver = new AtomicBoolean();
        Runnable onSignal = () -> {
            // during a hand-over's drain, SIGTERM is the second signal: it closes everything at once
            if (signals.incrementAndGet() == 1 && !handingOver.get()) {
                asked.add(STOP);
            } else {
                balancer.closeNow();
            }
        };
        boolean handled = Signals.install(onSignal);
        boolean reusePort = options.reusePort();
        Signals.install("USR2", () -> {
            if (!reusePort) {
                err.println(oneLine("SIGUSR2 ignored: a hand-over needs --reuse-port (this process keeps running)"));
            } else if (handingOver.get()) {
                err.println(oneLine("SIGUSR2 ignored: the hand-over is under way"));
            } else {
                asked.add(HAND_OVER);
            }
        });
        try {
            balancer.start();
            if (options.admin() != null) {
                var admin = AdminApi.start(balancer, options.admin(), options.overrides(), options.adminToken(),
                        line -> LOG.log(System.Logger.Level.INFO, line), AdminApi.LIMITS);
                LOG.log(System.Logger.Level.INFO, "admin API on " + AddressText.format(admin.address())
                        + (options.adminToken() != null ? " (bearer token required)" : " (no token)"));
            }
        } catch (UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            err.println(oneLine(e.getMessage()));
            balancer.closeNow();
            return 1;
        }
        StringBuilder ready = new StringBuilder("lb4j listening on");
        for (InetSocketAddress address : balancer.addresses()) {
            ready.append(' ').append(AddressText.format(address));
        }
        out.println(ready);
        out.flush();
        if (accessLog != null) {
            accessLog.start(); // after the ready line, which comes first on standard output
        }
        if (!handled) {
            Runtime.getRuntime().addShutdownHook(new Thread(balancer::close, "lb4j-shutdown"));
        }
        while (true) {
            String ask;
            try {
                ask = asked.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ask = STOP;
            }
            if (ask.equals(STOP)) {
                balancer.close();
                break;
            }
            handingOver.set(true);
            try {
                balancer.handOver();
                break;
            } catch (IllegalStateException e) {
                handingOver.set(false); // no successor: this one goes on
                err.println(oneLine("SIGUSR2 ignored: " + e.getMessage()));
                err.flush();
                if (signals.get() > 0) {
                    asked.add(STOP); // a SIGTERM that came meanwhile still counts
                }
            }
        }
        if (accessLog != null) {
            accessLog.close();
        }
        return 0;
    }

    /**
     * The one standard error line for {@code message}: a control character in it (a line break in an
     * option's value, say) is written as an escape, so the message never spans two lines.
     */
    static String oneLine(String message) {
        StringBuilder line = new StringBuilder("lb4j: ");
        String text = String.valueOf(message);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line.append("\\n");
            } else if (c == '\r') {
                line.append("\\r");
            } else if (Character.isISOControl(c)) {
                line.append(String.format("\\u%04x", (int) c));
            } else {
                line.append(c);
            }
        }
        return line.toString();
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
