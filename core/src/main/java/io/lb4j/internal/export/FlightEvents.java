package io.lb4j.internal.export;

import io.lb4j.Backend;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * JDK Flight Recorder events of the balancer, behind an interface free of {@code jdk.jfr} types:
 * {@code jdk.jfr} is an optional module ({@code requires static}), so its classes are touched only
 * through {@link #create()}, which returns {@code null} where the module is absent. Each event costs
 * one check when no recording asks for it.
 */
public interface FlightEvents {

    /** The recorder's events, or {@code null} when {@code jdk.jfr} is not available at run time. */
    static FlightEvents create() {
        if (!available()) {
            return null;
        }
        try {
            return new JfrEvents().loaded();
        } catch (LinkageError e) {
            return null;
        }
    }

    /**
     * Whether creating the events is cheap now: the recorder is initialised (a recording ran or runs).
     * Otherwise loading the first event class initialises it, about 150 ms in a fresh JVM, which
     * belongs on a background thread rather than in {@code start()} or a first connection.
     */
    static boolean recorderInitialised() {
        if (!available()) {
            return false;
        }
        try {
            return jdk.jfr.FlightRecorder.isInitialized();
        } catch (LinkageError e) {
            return false;
        }
    }

    private static boolean available() {
        Optional<Module> jfr = ModuleLayer.boot().findModule("jdk.jfr");
        return jfr.isPresent() && FlightEvents.class.getModule().canRead(jfr.get());
    }

    /** A client connection reached {@code backend} after {@code connectNs} from accept. */
    void connectionOpened(InetSocketAddress client, Backend backend, long connectNs);

    /** A client connection ended (with or without a backend). */
    void connectionClosed(InetSocketAddress client, Backend backend, long durationNs, long bytesToBackend,
                          long bytesToClient, String reason);

    /** A backend's health changed. */
    void backendStateChanged(Backend backend, String from, String to, String reason);
}
