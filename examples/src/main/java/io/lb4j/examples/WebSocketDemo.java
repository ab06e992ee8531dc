package io.lb4j.examples;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import io.lb4j.HealthState;
import io.lb4j.examples.ws.ChatClient;
import io.lb4j.examples.ws.WebSocketServer;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The demo: three WebSocket chat backends in this process, an lb4j {@link Balancer} in front, and a
 * crowd of JDK WebSocket clients chatting through it, with a live table per backend. Then the story
 * of a pool's life: a backend dies (its clients reconnect elsewhere, no message is lost), it comes
 * back, the pool scales out by one (new connections reach the new backend), and one backend is
 * drained (it takes no new connections, its open ones finish). It ends with a summary.
 *
 * <pre>
 * mvn -B -q -DskipTests install &amp;&amp; mvn -B -q -pl examples exec:java
 * mvn -B -q -pl examples exec:java -Dexec.args=--forever     # keep running until Ctrl-C
 * mvn -B -q -pl examples exec:java -Dexec.args=--short       # the ten-second headless run the tests use
 * </pre>
 */
public final class WebSocketDemo {
    /** The WebSocket path the backends serve and the clients use. */
    public static final String PATH = "/chat";

    private static final Logger LIBRARY_LOG = Logger.getLogger("io.lb4j");

    private final Settings settings;
    private final PrintStream out;
    private final Screen screen;
    private final List<WebSocketServer> servers = new ArrayList<>();
    private final List<ChatClient> clients = new ArrayList<>();
    private final List<Thread> clientThreads = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private volatile String phase = "starting";
    private BackendRegistry.Dynamic registry;
    private Balancer balancer;
    private HttpClient http;
    private URI uri;

    /**
     * How the demo runs.
     *
     * @param clients chatting clients at start
     * @param hold how long each step of the story is shown
     * @param pauseMillis each client's pause between messages
     * @param forever keep chatting after the story until the process is stopped
     * @param colour ANSI colours and a table redrawn in place
     */
    public record Settings(int clients, Duration hold, long pauseMillis, boolean forever, boolean colour) {

        /**
         * Reads the command line: {@code --short}, {@code --forever}, {@code --clients N}.
         *
         * @param args the arguments
         * @return the settings
         * @throws IllegalArgumentException naming an unknown or bad argument
         */
        public static Settings parse(String... args) {
            boolean shortRun = false;
            boolean forever = false;
            int clients = -1;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--short" -> shortRun = true;
                    case "--forever" -> forever = true;
                    case "--clients" -> {
                        if (i + 1 == args.length) {
                            throw new IllegalArgumentException("--clients: missing value (expected: 1-200)");
                        }
                        clients = parseClients(args[++i]);
                    }
                    default -> throw new IllegalArgumentException(args[i]
                            + ": unknown option (expected: --short, --forever, --clients N)");
                }
            }
            if (shortRun && forever) {
                throw new IllegalArgumentException("--short: given with --forever (expected: one of them)");
            }
            boolean colour = System.console() != null && !"dumb".equals(System.getenv("TERM"))
                    && System.getenv("TERM") != null && System.getenv("NO_COLOR") == null && !shortRun;
            return shortRun
                    ? new Settings(clients > 0 ? clients : 12, Duration.ofMillis(1500), 60, false, false)
                    : new Settings(clients > 0 ? clients : 24, Duration.ofSeconds(9), 150, forever, colour);
        }

        private static int parseClients(String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= 1 && n <= 200) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("--clients: " + value + " (expected: 1-200)");
        }
    }

    /**
     * What happened, for the summary and for the test that checks the story.
     *
     * @param clients clients that chatted
     * @param acknowledged messages echoed correctly, in order, over all clients
     * @param fewestEchoedByOneClient the smallest number of messages echoed to any one client
     * @param outOfOrder replies that did not echo the message just sent (0 when all is well)
     * @param lost messages unanswered on a connection that stayed open (0 when all is well)
     * @param reconnects reconnections after a connection died
     * @param killed the backend that died
     * @param clientsOnKilled clients connected to it when it died
     * @param clientsMoved of those, the ones that went on chatting with another backend
     * @param newToKilledWhileDown connections and connect attempts the balancer sent it while it was down
     * @param added the backend added by scaling out
     * @param addedConnections WebSocket connections it received
     * @param drained the drained backend
     * @param newToDrained connections the balancer sent it after the drain took effect
     * @param messagesPerBackend messages each backend answered, by name
     * @param failures story steps that did not happen in time (empty when all is well)
     * @param engineFaults faults the balancer caught and survived ({@link BalancerStats#faults()}; 0 when
     *     all is well: a killed backend, a reset or a drain is traffic, not a fault)
     */
    public record Summary(int clients, long acknowledged, long fewestEchoedByOneClient, long outOfOrder, long lost, long reconnects,
                          String killed, int clientsOnKilled, int clientsMoved, long newToKilledWhileDown,
                          String added, long addedConnections, String drained, long newToDrained,
                          Map<String, Long> messagesPerBackend, List<String> failures, long engineFaults) {

        /** @return whether every part of the story happened and no message was lost or reordered */
        public boolean ok() {
            return failures.isEmpty() && fewestEchoedByOneClient > 0 && outOfOrder == 0 && lost == 0 && clientsOnKilled > 0
                    && clientsMoved == clientsOnKilled && newToKilledWhileDown == 0 && addedConnections > 0
                    && newToDrained == 0 && engineFaults == 0;
        }
    }

    private WebSocketDemo(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
        this.screen = new Screen(out, settings.colour());
    }

    /**
     * Runs the demo; {@code --short}, {@code --forever} and {@code --clients N} are understood.
     *
     * @param args the command line
     */
    public static void main(String... args) {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        // in a terminal, write to the real standard output: Maven's System.out strips ANSI codes under -B
        PrintStream out = settings.colour()
                ? new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8)
                : System.out;
        Summary summary = run(settings, out);
        if (!summary.ok()) {
            System.exit(1);
        }
    }

    /**
     * Runs the whole story and returns what happened; everything it started is stopped on return.
     *
     * @param settings how to run
     * @param out where the table and the story go
     * @return the summary, also printed to {@code out}
     */
    public static Summary run(Settings settings, PrintStream out) {
        WebSocketDemo demo = new WebSocketDemo(settings, out);
        try {
            return demo.story();
        } finally {
            demo.stopAll();
        }
    }

    /**
     * The probe the balancer uses for the backends: a real RFC 6455 opening handshake on the chat
     * path, healthy only on 101 with the right accept key (a TCP connect would pass a backend whose
     * port is open but whose WebSocket endpoint is broken).
     */
    private static HealthProbe probe() {
        return HealthProbe.webSocket(PATH);
    }

    private Summary story() {
        showLibraryLog();
        for (int i = 1; i <= 3; i++) {
            servers.add(new WebSocketServer("backend-" + i, PATH).start());
        }
        registry = BackendRegistry.dynamic(List.of(backendOf(servers.get(0)), backendOf(servers.get(1)),
                backendOf(servers.get(2))));
        balancer = Balancer.builder()
                .listen("127.0.0.1:0")
                .registry(registry)
                .policy(BalancingPolicy.roundRobin()) // even shares, so a new backend fills up visibly
                .probe(probe())
                .probeInterval(Duration.ofMillis(500))
                .probeTimeout(Duration.ofMillis(400))
                .eventLoops(2)
                .drainTimeout(Duration.ofSeconds(2))
                .build();
        balancer.start();
        InetSocketAddress front = balancer.addresses().get(0);
        uri = URI.create("ws://127.0.0.1:" + front.getPort() + PATH);
        http = HttpClient.newHttpClient();
        event("lb4j listening on " + front.getAddress().getHostAddress() + ":" + front.getPort()
                + " in front of " + servers.size() + " WebSocket backends (probe every 500ms)");

        Ticker ticker = new Ticker();
        ticker.start();
        try {
            phase = "chatting";
            for (int i = 0; i < settings.clients(); i++) {
                addClient();
            }
            event(settings.clients() + " clients chat through " + uri);
            waitFor("every client gets answers", settings.hold().multipliedBy(3),
                    () -> clients.stream().allMatch(c -> c.acknowledged() > 0));
            hold();

            // 1. a backend dies
            WebSocketServer victim = servers.get(1);
            String victimName = backendOf(victim).name();
            List<ChatClient> onVictim = clients.stream().filter(c -> c.backend().equals(victim.name())).toList();
            Map<ChatClient, Long> ackAtKill = new LinkedHashMap<>();
            onVictim.forEach(c -> ackAtKill.put(c, c.acknowledged()));
            phase = victim.name() + " died";
            victim.kill();
            event(screen.red(victim.name() + " killed") + " with " + onVictim.size()
                    + " clients on it: they reconnect elsewhere");
            waitFor(victim.name() + " marked down", Duration.ofSeconds(5),
                    () -> health(victimName) == HealthState.DOWN);
            long triesAtDown = tries(victimName);
            event(victim.name() + " is DOWN: no new connections go to it");
            hold();
            int moved = (int) onVictim.stream()
                    .filter(c -> c.acknowledged() > ackAtKill.get(c) && !c.backend().equals(victim.name()))
                    .count();
            long newWhileDown = tries(victimName) - triesAtDown;

            // 2. it comes back
            phase = victim.name() + " is back";
            victim.start();
            event(screen.green(victim.name() + " restarted") + " on the same port");
            waitFor(victim.name() + " marked up", Duration.ofSeconds(5), () -> health(victimName) == HealthState.UP);
            event(victim.name() + " is UP: new connections reach it again");
            hold();

            // 3. scale out by one
            phase = "scaled out";
            WebSocketServer added = new WebSocketServer("backend-4", PATH).start();
            servers.add(added);
            registry.add(backendOf(added));
            event(screen.green("backend-4 added") + " to the pool through the registry");
            waitFor("backend-4 takes connections", settings.hold().multipliedBy(2),
                    () -> added.totalConnections() > 0);
            event("backend-4 takes new connections: " + added.activeConnections() + " open");
            hold();

            // 4. drain one
            phase = "backend-1 draining";
            WebSocketServer drained = servers.get(0);
            String drainedName = backendOf(drained).name();
            registry.setAdminState(drainedName, Backend.AdminState.DRAIN);
            waitFor("backend-1 drain applied", Duration.ofSeconds(5),
                    () -> admin(drainedName) == Backend.AdminState.DRAIN);
            long drainedAt = connections(drainedName);
            event(screen.yellow("backend-1 draining") + ": " + drained.activeConnections()
                    + " open connections left to finish, no new ones");
            hold();
            long newToDrained = connections(drainedName) - drainedAt;
            event("backend-1 has " + drained.activeConnections() + " connections left");

            if (settings.forever()) {
                phase = "running until Ctrl-C";
                event("the story is over; chatting on until Ctrl-C");
                awaitInterrupt();
            }
            phase = "done";
            Summary summary = summarize(victim.name(), onVictim.size(), moved, newWhileDown, added,
                    drained.name(), newToDrained);
            ticker.halt();
            printSummary(summary);
            return summary;
        } finally {
            ticker.halt();
        }
    }

    private Summary summarize(String killed, int onKilled, int moved, long newWhileDown, WebSocketServer added,
                              String drained, long newToDrained) {
        screen.redraw(table()); // the last picture, while the clients are still connected
        for (ChatClient c : clients) {
            c.stop();
        }
        for (Thread t : clientThreads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Map<String, Long> perBackend = new LinkedHashMap<>();
        for (WebSocketServer s : servers) {
            perBackend.put(s.name(), s.messages());
        }
        return new Summary(clients.size(), clients.stream().mapToLong(ChatClient::acknowledged).sum(),
                clients.stream().mapToLong(ChatClient::acknowledged).min().orElse(0),
                clients.stream().mapToLong(ChatClient::outOfOrder).sum(),
                clients.stream().mapToLong(ChatClient::lost).sum(),
                clients.stream().mapToLong(ChatClient::reconnects).sum(),
                killed, onKilled, moved, newWhileDown, added.name(), added.totalConnections(), drained,
                newToDrained, perBackend, List.copyOf(failures), balancer.stats().faults());
    }

    private void printSummary(Summary s) {
        out.println();
        out.println("Summary after " + seconds() + " s");
        out.println("  " + s.clients() + " clients, " + s.acknowledged() + " messages echoed in order, "
                + s.outOfOrder() + " out of order, " + s.lost() + " lost, " + s.reconnects() + " reconnects");
        out.println("  " + s.killed() + " died with " + s.clientsOnKilled() + " clients on it: "
                + s.clientsMoved() + " went on chatting elsewhere; new connections to it while down: "
                + s.newToKilledWhileDown());
        out.println("  " + s.added() + " joined the pool and took " + s.addedConnections() + " connections");
        out.println("  " + s.drained() + " drained: new connections to it afterwards: " + s.newToDrained());
        out.println("  messages per backend: " + s.messagesPerBackend());
        out.println("  engine faults: " + s.engineFaults());
        for (String f : s.failures()) {
            out.println("  " + screen.red("not seen in time: " + f));
        }
        out.println(s.ok() ? screen.green("The story went as told.") : screen.red("Something went wrong (see above)."));
        out.flush();
    }

    private void addClient() {
        int n = clients.size() + 1;
        // sessions of different lengths, so new connections keep arriving all the time
        ChatClient client = new ChatClient("c" + n, http, uri, settings.pauseMillis(), 12 + (n * 7) % 20);
        Thread t = new Thread(client, "chat-client-" + n);
        t.setDaemon(true);
        clients.add(client);
        clientThreads.add(t);
        t.start();
    }

    private void hold() {
        long end = System.nanoTime() + settings.hold().toNanos();
        while (System.nanoTime() - end < 0) {
            sleep(100); // the story's pace, not synchronisation
        }
    }

    private void awaitInterrupt() {
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopAll();
            stopped.countDown();
        }
    }

    private void waitFor(String what, Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                failures.add(what);
                event(screen.red("not seen within " + limit.toMillis() + " ms: " + what));
                return;
            }
            sleep(20);
        }
    }

    private synchronized void stopAll() {
        for (ChatClient c : clients) {
            c.stop();
        }
        if (balancer != null) {
            balancer.closeNow();
        }
        for (WebSocketServer s : servers) {
            s.kill();
        }
    }

    private BalancerStats.BackendStats row(String name) {
        for (BalancerStats.BackendStats b : balancer.stats().backends()) {
            if (b.backend().name().equals(name)) {
                return b;
            }
        }
        return null;
    }

    private HealthState health(String name) {
        BalancerStats.BackendStats b = row(name);
        return b == null ? HealthState.UNKNOWN : b.state();
    }

    private Backend.AdminState admin(String name) {
        BalancerStats.BackendStats b = row(name);
        return b == null ? null : b.backend().adminState();
    }

    private long connections(String name) {
        BalancerStats.BackendStats b = row(name);
        return b == null ? 0 : b.totalConnections();
    }

    /** Connections the balancer made or tried to make to a backend. */
    private long tries(String name) {
        BalancerStats.BackendStats b = row(name);
        return b == null ? 0 : b.totalConnections() + b.connectFailures();
    }

    /**
     * lb4j logs through {@code System.Logger} (here: java.util.logging); its lines join the event
     * list instead of scrolling through the table.
     */
    private void showLibraryLog() {
        LIBRARY_LOG.setUseParentHandlers(false);
        for (Handler h : LIBRARY_LOG.getHandlers()) {
            LIBRARY_LOG.removeHandler(h);
        }
        LIBRARY_LOG.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                event("lb4j: " + MessageFormat.format(record.getMessage(),
                        record.getParameters() == null ? new Object[0] : record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    private static Backend backendOf(WebSocketServer server) {
        return Backend.of("127.0.0.1", server.port());
    }

    private void event(String line) {
        screen.event(String.format(Locale.ROOT, "%5.1fs  %s", (System.nanoTime() - startNanos) / 1e9, line));
    }

    private String seconds() {
        return String.format(Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e9);
    }

    /** The table: one row per backend, from {@link Balancer#stats()} and the servers' own counters. */
    private List<String> table() {
        List<String> lines = new ArrayList<>();
        long connected = clients.stream().filter(c -> !c.backend().isEmpty()).count();
        long acked = clients.stream().mapToLong(ChatClient::acknowledged).sum();
        long bad = clients.stream().mapToLong(c -> c.lost() + c.outOfOrder()).sum();
        lines.add(screen.bold("lb4j WebSocket demo") + "  " + seconds() + " s  " + phase + "  |  clients "
                + connected + "/" + clients.size() + " connected, " + acked + " echoed, "
                + (bad == 0 ? "0 lost" : screen.red(bad + " lost or reordered")));
        lines.add(String.format(Locale.ROOT, "  %-10s %-16s %-6s %-6s %7s %7s %7s %9s",
                "backend", "address", "health", "admin", "active", "total", "ws-open", "messages"));
        BalancerStats stats = balancer.stats();
        for (WebSocketServer s : servers) {
            String name = backendOf(s).name();
            BalancerStats.BackendStats b = null;
            for (BalancerStats.BackendStats candidate : stats.backends()) {
                if (candidate.backend().name().equals(name)) {
                    b = candidate;
                }
            }
            String health = b == null ? "-" : b.state().name();
            String admin = b == null ? "-" : b.backend().adminState().name();
            String healthCell = String.format(Locale.ROOT, "%-6s", health);
            healthCell = "UP".equals(health) ? screen.green(healthCell)
                    : "DOWN".equals(health) ? screen.red(healthCell) : screen.dim(healthCell);
            String adminCell = String.format(Locale.ROOT, "%-6s", admin);
            adminCell = "DRAIN".equals(admin) ? screen.yellow(adminCell) : adminCell;
            int open = s.running() ? s.activeConnections() : 0;
            lines.add(String.format(Locale.ROOT, "  %-10s %-16s %s %s %7d %7d %7d %9d %s", s.name(), name,
                    healthCell, adminCell, b == null ? 0 : b.activeConnections(), b == null ? 0 : b.totalConnections(),
                    open, s.messages(), "#".repeat(Math.min(open, 40))));
        }
        return lines;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Redraws the table twice a second; without colours, prints it every few seconds instead. */
    private final class Ticker extends Thread {
        private volatile boolean running = true;

        Ticker() {
            super("demo-table");
            setDaemon(true);
        }

        @Override
        public void run() {
            long ticks = 0;
            while (running) {
                if (settings.colour() || (!settings.colour() && ticks % 10 == 0 && ticks > 0)) {
                    screen.redraw(table());
                }
                ticks++;
                WebSocketDemo.sleep(500);
            }
        }

        void halt() {
            running = false;
            interrupt();
            try {
                join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The terminal: with colours, the table and the last events are redrawn in place; without, the
     * table and the events are printed as plain lines one after the other.
     */
    private static final class Screen {
        private static final int EVENTS_SHOWN = 10;
        private final PrintStream out;
        private final boolean ansi;
        private final Deque<String> events = new ArrayDeque<>();
        private List<String> lastTable = List.of();
        private int drawn;

        Screen(PrintStream out, boolean ansi) {
            this.out = out;
            this.ansi = ansi;
        }

        synchronized void event(String line) {
            if (ansi) {
                events.addLast(line);
                if (events.size() > EVENTS_SHOWN) {
                    events.removeFirst();
                }
                draw();
            } else {
                out.println(line);
                out.flush();
            }
        }

        synchronized void redraw(List<String> table) {
            lastTable = table;
            if (ansi) {
                draw();
            } else {
                table.forEach(out::println);
                out.flush();
            }
        }

        private void draw() {
            StringBuilder b = new StringBuilder();
            if (drawn > 0) {
                b.append("\033[").append(drawn).append('F').append("\033[J"); // up to our first line, clear below
            }
            List<String> lines = new ArrayList<>(lastTable);
            lines.add("");
            lines.addAll(events);
            for (String line : lines) {
                b.append(line).append('\n');
            }
            drawn = lines.size();
            out.print(b);
            out.flush();
        }

        String red(String s) {
            return paint("31", s);
        }

        String green(String s) {
            return paint("32", s);
        }

        String yellow(String s) {
            return paint("33", s);
        }

        String bold(String s) {
            return paint("1", s);
        }

        String dim(String s) {
            return paint("2", s);
        }

        private String paint(String code, String s) {
            return ansi ? "\033[" + code + "m" + s + "\033[0m" : s;
        }
    }
}
