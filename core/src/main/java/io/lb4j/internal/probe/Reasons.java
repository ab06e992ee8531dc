package io.lb4j.internal.probe;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;

/** Short, stable reasons for probe and connect failures, for logs, stats and events. */
public final class Reasons {
    private Reasons() {
    }

    /** Maps an I/O failure to a short reason. */
    public static String of(Throwable t) {
        if (t instanceof ConnectException) {
            return "connect refused";
        }
        if (t instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (t instanceof SocketTimeoutException) {
            return "timeout";
        }
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message;
    }
}
