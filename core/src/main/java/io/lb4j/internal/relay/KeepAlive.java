package io.lb4j.internal.relay;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import jdk.net.ExtendedSocketOptions;

/**
 * TCP keepalive on a relayed socket, with the idle time, probe interval and probe count set through
 * {@code jdk.net.ExtendedSocketOptions} where the platform has them (Linux, macOS, Windows 10+).
 * Without them only {@code SO_KEEPALIVE} is set and the system's idle time (often 2 hours) applies,
 * which is too long for Azure Load Balancer's 4-minute idle timeout: the reason to set them.
 */
final class KeepAlive {
    /** Seconds between unanswered probes once the idle time passed. */
    static final int INTERVAL_SECONDS = 30;
    /** Unanswered probes before the kernel gives up on the peer. */
    static final int COUNT = 4;
    /** Whether the extended options work here; decided on first use (null until then). */
    private static volatile Boolean extended;

    private KeepAlive() {
    }

    /**
     * Turns keepalive on for {@code channel} with an idle time of {@code idleNs} (whole seconds, at
     * least 1); nothing when {@code idleNs} is 0. A socket that refuses is left as it is.
     */
    static void apply(SocketChannel channel, long idleNs) {
        if (idleNs <= 0) {
            return;
        }
        try {
            // the timings first: SO_KEEPALIVE arms the kernel's timer with the idle time set by then,
            // so the socket never shows the system's 2-hour timer, not even between two calls
            if (extended(channel)) {
                int idleSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, idleNs / 1_000_000_000L));
                channel.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, idleSeconds);
                channel.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL,
                        Math.min(INTERVAL_SECONDS, idleSeconds));
                channel.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, COUNT);
            }
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // closed already, or the platform refuses: the connection works without keepalive
        }
    }

    private static boolean extended(SocketChannel channel) {
        Boolean known = extended;
        if (known == null) {
            boolean supported;
            try {
                supported = channel.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE);
            } catch (LinkageError e) {
                supported = false; // jdk.net is not in this runtime image
            }
            extended = known = supported;
        }
        return known;
    }
}
