package io.lb4j.internal.export;

import io.lb4j.Backend;
import java.net.InetSocketAddress;

/**
 * JDK Flight Recorder events of the balancer, behind an interface free of {@code jdk.jfr} types (see
 * {@link Recorder}, which makes them). Each event costs one check when no recording asks for it.
 */
public interface FlightEvents {

    /** A client connection reached {@code backend} after {@code connectNs} from accept. */
    void connectionOpened(InetSocketAddress client, Backend backend, long connectNs);

    /** A client connection ended (with or without a backend). */
    void connectionClosed(InetSocketAddress client, Backend backend, long durationNs, long bytesToBackend,
                          long bytesToClient, String reason);

    /** A backend's health changed. */
    void backendStateChanged(Backend backend, String from, String to, String reason);
}
