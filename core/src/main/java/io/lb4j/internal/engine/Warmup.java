package io.lb4j.internal.engine;

import io.lb4j.internal.Cidr;
import io.lb4j.internal.OptionalModules;
import io.lb4j.internal.probe.HealthChecker;
import io.lb4j.internal.proxy.ProxyHeaderParser;
import io.lb4j.internal.relay.ConnectionPair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.TimeZone;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * What a fresh JVM is slow at, or fails at when it runs out of descriptors, done at the start of
 * {@code start()}: once, and off the loops and mostly off {@code start()}'s own path.
 */
final class Warmup {
    private static final System.Logger LOG = System.getLogger("io.lb4j");

    private Warmup() {
    }

    /**
     * Some JDK classes open a descriptor in their static initialiser (the NIO dispatcher's pre-close
     * socket); run them now, so that their first use never falls on a moment the process is out of
     * descriptors, where the failed initialiser would kill an event loop.
     */
    static void run(boolean probing) {
        // the same for the logging configuration and the time zone, both read from files on first use:
        // on a thread of their own, as they take 5-10 ms in a fresh JVM and nothing here needs them yet.
        // With probes, one record is formatted there too: the first line a JVM logs costs 30-40 ms of
        // formatter and date-time set-up, and the first probe result logs one on start()'s path.
        LoopTasks.daemon(() -> {
            // lb4j's logger (the LoggerFinder, and java.util.logging's configuration when present);
            // the host's handlers are left alone: only a formatter of lb4j's own is warmed
            if (LOG.isLoggable(Level.INFO) && probing && OptionalModules.readable("java.logging")) {
                new SimpleFormatter().format(new LogRecord(java.util.logging.Level.INFO, "lb4j"));
            }
            TimeZone.getDefault();
            loadFirstConnectionClasses();
        }, "lb4j-init").start();
        try (SocketChannel socket = SocketChannel.open();
             ServerSocketChannel server = ServerSocketChannel.open()) {
            socket.configureBlocking(false);
            server.configureBlocking(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a socket: " + e.getMessage(), e);
        }
    }

    /**
     * Loads, off the loops, the classes the first connection would otherwise load on its loop while
     * clients wait: the socket-option registry behind {@code TCP_NODELAY} and the pair's own; keepalive's
     * a second later. With {@code -Xlog:class+load}, 17 classes loaded once clients came before (about
     * 3 ms on the first connection in a fresh JVM), 2 after (what the JIT resolves compiling the reads).
     */
    private static void loadFirstConnectionClasses() {
        try (SocketChannel socket = SocketChannel.open()) {
            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException | RuntimeException e) {
            return; // no descriptor to spare right now: the first connection loads them instead
        }
        ClassLoader loader = Warmup.class.getClassLoader();
        for (String name : new String[] {ConnectionPair.class.getName(), ConnectionPair.class.getPackageName()
                + ".KeepAlive", Cidr.class.getName(), HealthChecker.class.getName(),
            ProxyHeaderParser.Malformed.class.getName()}) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return; // renamed or unloadable: the first connection loads what it needs itself
            }
        }
    }
}
