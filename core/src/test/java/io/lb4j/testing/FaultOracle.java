package io.lb4j.testing;

import java.io.IOException;
import java.lang.reflect.AnnotatedElement;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The fault oracle: after each test it fails the test when a balancer counted a fault the test did
 * not declare with {@link ExpectFaults}, when a balancer thread ({@code lb4j-*}) is still alive, or
 * when a socket opened during the test is still open (read from {@code /proc/self/fd}, where it
 * exists). Use it on every test class that starts a {@code Balancer} (or the CLI in-process):
 * {@code @ExtendWith(FaultOracle.class)} for JUnit, {@code @AddLifecycleHook(FaultOracleHook.class)}
 * for a jqwik class whose balancer lives as long as the container.
 *
 * <p>It sees faults through the one sink every balancer reports them to: the first fault of each kind
 * per balancer is logged on the logger {@code io.lb4j.faults} (message {@code "KIND: ..."}), which
 * this oracle listens to, so it needs no handle on the balancer and also covers balancers started
 * inside an example or the CLI.
 */
public final class FaultOracle implements BeforeEachCallback, AfterEachCallback {
    private static final String LOGGER = "io.lb4j.faults";
    private static final Duration SETTLE = Duration.ofSeconds(10);
    /** Held strongly: a logger only weakly referenced could be collected with our handler on it. */
    private static final Logger FAULTS = Logger.getLogger(LOGGER);
    private static final List<LogRecord> RECORDS = new CopyOnWriteArrayList<>();
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(FaultOracle.class);

    static {
        FAULTS.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                RECORDS.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        // the JDK opens a socket pair of its own on first NIO use and keeps it: open it before any baseline
        try (java.nio.channels.SocketChannel ignored = java.nio.channels.SocketChannel.open()) {
            ignored.configureBlocking(false);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** What was there before a test: where its fault records begin and the sockets already open. */
    record Baseline(int records, Set<String> sockets) {
        static Baseline now() {
            return new Baseline(RECORDS.size(), openSockets());
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NAMESPACE).put(Baseline.class, Baseline.now());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Baseline baseline = context.getStore(NAMESPACE).get(Baseline.class, Baseline.class);
        List<String> expected = new ArrayList<>();
        context.getTestMethod().ifPresent(m -> expected.addAll(declared(m)));
        for (Class<?> c = context.getRequiredTestClass(); c != null; c = c.getEnclosingClass()) {
            expected.addAll(declared(c));
        }
        verify(context.getDisplayName(), baseline, expected);
    }

    static List<String> declared(AnnotatedElement element) {
        ExpectFaults faults = element.getAnnotation(ExpectFaults.class);
        return faults == null ? List.of() : List.of(faults.value());
    }

    static void verify(String test, Baseline baseline, List<String> expected) {
        verify(test, baseline, expected, SETTLE);
    }

    /** The checks, waiting up to {@code settle} for threads and sockets to go. */
    static void verify(String test, Baseline baseline, List<String> expected, Duration settle) {
        List<String> problems = new ArrayList<>();
        Throwable firstCause = null;
        for (LogRecord record : RECORDS.subList(Math.min(baseline.records(), RECORDS.size()), RECORDS.size())) {
            String message = String.valueOf(record.getMessage());
            if (expected.stream().noneMatch(message::startsWith)) {
                problems.add("undeclared fault: " + message);
                if (firstCause == null) {
                    firstCause = record.getThrown();
                }
            }
        }
        List<String> threads = Await.settle(FaultOracle::balancerThreads, List::isEmpty, settle);
        if (!threads.isEmpty()) {
            problems.add("balancer threads still alive " + settle.toMillis() + " ms after the test: " + threads);
        }
        if (baseline.sockets() != null) {
            List<String> sockets = Await.settle(() -> {
                Set<String> now = openSockets();
                now.removeAll(baseline.sockets());
                return describe(now);
            }, List::isEmpty, settle);
            if (!sockets.isEmpty()) {
                problems.add("sockets opened during the test and still open: " + sockets);
            }
        }
        if (!problems.isEmpty()) {
            AssertionError failure = new AssertionError("fault oracle, " + test + ":\n  " + String.join("\n  ", problems)
                    + (expected.isEmpty() ? "" : "\n  (declared: " + expected + ")"));
            if (firstCause != null) {
                failure.initCause(firstCause);
            }
            throw failure;
        }
    }

    private static List<String> balancerThreads() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("lb4j-")) {
                names.add(t.getName());
            }
        }
        return names;
    }

    /** The inodes of this process's open sockets, or {@code null} where {@code /proc/self/fd} is missing. */
    static Set<String> openSockets() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return null;
        }
        Set<String> inodes = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
            for (Path fd : entries) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed while we looked: not open any more
                }
            }
        } catch (IOException e) {
            return null;
        }
        return inodes;
    }

    /** Open descriptors of this process, or -1 where {@code /proc/self/fd} is missing. */
    public static int openDescriptors() {
        String[] names = new java.io.File("/proc/self/fd").list();
        return names == null ? -1 : names.length;
    }

    /** Each socket inode with its TCP endpoints and state from {@code /proc/net/tcp{,6}} where found. */
    private static List<String> describe(Set<String> inodes) {
        if (inodes.isEmpty()) {
            return List.of();
        }
        Map<String, String> tcp = new HashMap<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && !f[0].equals("sl")) {
                        tcp.put(f[9], f[1] + "->" + f[2] + " st=" + f[3]);
                    }
                }
            } catch (IOException e) {
                // no table: inodes alone
            }
        }
        Set<String> out = new LinkedHashSet<>();
        for (String inode : inodes) {
            out.add(inode + (tcp.containsKey(inode) ? " " + tcp.get(inode) : ""));
        }
        return new ArrayList<>(out);
    }
}
