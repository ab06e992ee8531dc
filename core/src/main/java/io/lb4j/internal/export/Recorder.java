package io.lb4j.internal.export;

import java.util.Optional;
import jdk.jfr.FlightRecorder;

/**
 * The JDK Flight Recorder as lb4j meets it: {@code jdk.jfr} is an optional module ({@code requires
 * static}), so its classes are touched only after a check that it is readable; {@link JfrEvents}, the
 * only class that names them, is loaded only through {@link #events()}.
 */
public final class Recorder {

    private Recorder() {
    }

    /** The recorder's events, or {@code null} when {@code jdk.jfr} is not available at run time. */
    public static FlightEvents events() {
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
    public static boolean initialised() {
        if (!available()) {
            return false;
        }
        try {
            return FlightRecorder.isInitialized();
        } catch (LinkageError e) {
            return false;
        }
    }

    private static boolean available() {
        Optional<Module> jfr = ModuleLayer.boot().findModule("jdk.jfr");
        return jfr.isPresent() && Recorder.class.getModule().canRead(jfr.get());
    }
}
