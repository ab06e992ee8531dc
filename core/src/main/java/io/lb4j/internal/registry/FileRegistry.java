package io.lb4j.internal.registry;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.internal.Durations;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@link BackendRegistry#file(Path)}: a file of backends, re-read when it changes. A watch on the
 * parent directory reacts at once; the bytes are also compared every {@link #CHECK_MS} ms because
 * network and container file systems often deliver no events, and a coarse modification time can
 * hide a quick rewrite.
 */
public final class FileRegistry implements BackendRegistry, DrainDeadlines {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    /**
     * The logger of the bad-line reports, {@code PATH:LINE: reason}: a logger of their own, so that the
     * runner prints them exactly so, as its contract says (without its {@code lb4j: LEVEL:} prefix).
     */
    public static final String BAD_LINES = "io.lb4j.backends-file";
    private static final System.Logger BAD_LINE = System.getLogger(BAD_LINES);
    /** Period of the check that backs up the file-system watch. */
    static final long CHECK_MS = 500;
    /** How long changed bytes must hold still before they count. */
    static final long SETTLE_MS = 200;
    /** Re-reads while a writer keeps changing the file, before its latest bytes count anyway. */
    static final int SETTLE_ROUNDS = 5;

    private final Path path;
    private final Object lock = new Object();
    private Thread watcher;
    private WatchService watch;
    private volatile boolean closed;
    private byte[] lastBytes;
    private boolean lastMissing;
    /** The drain deadlines of the last pushed contents; replaced before each push. */
    private volatile Map<String, Duration> deadlines = Map.of();

    /**
     * A file's backends and the drain deadlines of its {@code state=drain deadline=D} lines.
     *
     * @param backends in file order
     * @param drainDeadlines by backend name, only for lines that give one
     */
    public record Contents(List<Backend> backends, Map<String, Duration> drainDeadlines) {
    }

    /** A registry for {@code path}; nothing is read until {@link #start}. */
    public FileRegistry(Path path) {
        this.path = path;
    }

    @Override
    public void start(Consumer<List<Backend>> sink) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException(path + ": cannot read (" + describe(e) + ")", e);
        }
        Contents first = contents(path, new String(bytes, StandardCharsets.UTF_8));
        synchronized (lock) {
            lastBytes = bytes;
            deadlines = first.drainDeadlines();
            sink.accept(first.backends());
            try {
                Path dir = path.toAbsolutePath().getParent();
                watch = dir.getFileSystem().newWatchService();
                dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            } catch (IOException | UnsupportedOperationException e) {
                watch = null; // the periodic check alone then
                LOG.log(Level.DEBUG, () -> path + ": no file-system watch (" + e + "), checking every " + CHECK_MS + " ms");
            }
            watcher = new Thread(() -> run(sink), "lb4j-file-registry");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    private void run(Consumer<List<Backend>> sink) {
        while (!closed) {
            try {
                if (watch != null) {
                    WatchKey key = watch.poll(CHECK_MS, TimeUnit.MILLISECONDS);
                    if (key != null) {
                        key.pollEvents();
                        key.reset();
                    }
                } else {
                    Thread.sleep(CHECK_MS); // the period of the check itself, not a synchronisation
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            if (!closed) {
                check(sink);
            }
        }
    }

    /**
     * Re-reads the file and pushes its backends when its bytes changed, held still for
     * {@link #SETTLE_MS}, and parse. The settling matters: a writer that truncates and then writes (an
     * editor, {@code echo >}) fires the watch in between, and an empty or half-written file read at
     * that moment would parse as a smaller pool and drop backends that never left.
     */
    void check(Consumer<List<Backend>> sink) {
        byte[] bytes;
        try {
            bytes = settled(Files.readAllBytes(path));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
            return;
        } catch (NoSuchFileException e) {
            if (!lastMissing) {
                lastMissing = true;
                LOG.log(Level.WARNING, path + ": missing; keeping the last good set of backends");
            }
            return;
        } catch (IOException e) {
            LOG.log(Level.WARNING, path + ": cannot read (" + describe(e) + "); keeping the last good set of backends");
            return;
        }
        lastMissing = false;
        synchronized (lock) {
            if (closed || Arrays.equals(bytes, lastBytes)) {
                return;
            }
            lastBytes = bytes;
            Contents contents;
            try {
                contents = contents(path, new String(bytes, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                BAD_LINE.log(Level.WARNING, e.getMessage() + " (keeping the last good set of backends)");
                return;
            }
            deadlines = contents.drainDeadlines();
            sink.accept(contents.backends());
        }
    }

    /**
     * {@code bytes} once a re-read {@link #SETTLE_MS} later gives the same (at most
     * {@link #SETTLE_ROUNDS} re-reads while a writer keeps changing it); unchanged bytes return at once.
     */
    private byte[] settled(byte[] bytes) throws IOException, InterruptedException {
        synchronized (lock) {
            if (Arrays.equals(bytes, lastBytes)) {
                return bytes;
            }
        }
        for (int i = 0; i < SETTLE_ROUNDS; i++) {
            Thread.sleep(SETTLE_MS); // a debounce: the writer's pause, not a synchronisation
            byte[] again = Files.readAllBytes(path);
            if (Arrays.equals(again, bytes)) {
                return bytes;
            }
            bytes = again;
        }
        return bytes;
    }

    @Override
    public Duration drainDeadline(String name) {
        return deadlines.get(name);
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            if (watch != null) {
                try {
                    watch.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            if (watcher != null) {
                watcher.interrupt();
            }
        }
    }

    /** Reads and parses {@code file}: for checking a file before start (the CLI). */
    public static List<Backend> read(Path file) {
        try {
            return parse(file, Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + describe(e) + ")", e);
        }
    }

    /**
     * Parses the file format: {@code HOST:PORT [weight=N] [max-connections=N] [state=up|down|drain]
     * [deadline=D]} a line (attributes separated by spaces or commas), {@code #} comments, blank
     * lines ignored.
     *
     * @throws IllegalArgumentException {@code PATH:LINE: reason} for the first bad line
     */
    public static List<Backend> parse(Path file, String text) {
        return contents(file, text).backends();
    }

    /**
     * {@link #parse}, with the drain deadlines of the lines that give one.
     *
     * @throws IllegalArgumentException {@code PATH:LINE: reason} for the first bad line
     */
    public static Contents contents(Path file, String text) {
        List<Backend> backends = new ArrayList<>();
        Map<String, Duration> deadlines = new HashMap<>();
        Set<String> names = new HashSet<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            Duration[] deadline = new Duration[1];
            Backend b = line(where, line.split("[\\s,]+"), deadline);
            if (!names.add(b.name())) {
                throw new IllegalArgumentException(where + "'" + b.name() + "' listed twice");
            }
            backends.add(b);
            if (deadline[0] != null) {
                deadlines.put(b.name(), deadline[0]);
            }
        }
        return new Contents(List.copyOf(backends), Map.copyOf(deadlines));
    }

    private static Backend line(String where, String[] fields, Duration[] deadline) {
        Backend b;
        try {
            b = Backend.parse(fields[0]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage());
        }
        Set<String> seen = new HashSet<>();
        for (int f = 1; f < fields.length; f++) {
            String field = fields[f];
            int eq = field.indexOf('=');
            String key = eq > 0 ? field.substring(0, eq) : field;
            String value = eq > 0 ? field.substring(eq + 1) : "";
            if (!seen.add(key)) {
                throw new IllegalArgumentException(where + key + " given twice");
            }
            switch (key) {
                case "weight":
                    b = b.withWeight(number(where, key, value, 1, Backend.MAX_WEIGHT));
                    break;
                case "max-connections":
                    b = b.withMaxConnections(number(where, key, value, 0, Integer.MAX_VALUE));
                    break;
                case "state":
                    b = b.withAdminState(state(where, value));
                    break;
                case "deadline":
                    deadline[0] = deadline(where, value);
                    break;
                default:
                    throw new IllegalArgumentException(where + "'" + field
                            + "' (expected: weight=N, max-connections=N, state=up|down|drain or deadline=D)");
            }
        }
        if (deadline[0] != null && b.adminState() != Backend.AdminState.DRAIN) {
            throw new IllegalArgumentException(where + "deadline: given without state=drain");
        }
        return b;
    }

    private static Duration deadline(String where, String value) {
        Duration d;
        try {
            d = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "deadline: " + e.getMessage());
        }
        if (d.isZero()) {
            throw new IllegalArgumentException(where + "deadline: '0' (expected: a positive duration such as 10m)");
        }
        return d;
    }

    private static int number(String where, String key, String value, int min, int max) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            n = Long.MIN_VALUE;
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(where + key + ": '" + value + "' (expected: " + min + "-" + max + ")");
        }
        return (int) n;
    }

    private static Backend.AdminState state(String where, String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "up": return Backend.AdminState.UP;
            case "down": return Backend.AdminState.DOWN;
            case "drain": return Backend.AdminState.DRAIN;
            default:
                throw new IllegalArgumentException(where + "state: '" + value + "' (expected: up, down or drain)");
        }
    }

    private static String describe(IOException e) {
        return e instanceof NoSuchFileException ? "no such file" : e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
