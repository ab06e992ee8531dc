package io.lb4j.internal.probe;

import io.lb4j.ProbeResult;
import java.util.concurrent.CompletableFuture;

/**
 * The stage a built-in probe returns, which also says what a timeout interrupted: the checker enforces
 * the timeout, but only the probe knows whether it was still in a TLS handshake, and
 * {@code "tls: handshake timed out"} tells an operator more than {@code "timeout"}.
 */
final class ProbeFuture extends CompletableFuture<ProbeResult> {
    private volatile String timeoutReason = "timeout";

    /** The reason a timeout now would be reported with. */
    String timeoutReason() {
        return timeoutReason;
    }

    /** Sets the reason for a timeout from now on; set by the probe's own thread as it goes. */
    void timeoutReason(String reason) {
        this.timeoutReason = reason;
    }

    /** The reason for a timeout of {@code stage}: its own when it is a built-in probe's, else "timeout". */
    static String timeoutReason(Object stage) {
        return stage instanceof ProbeFuture ? ((ProbeFuture) stage).timeoutReason() : "timeout";
    }
}
