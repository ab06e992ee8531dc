package io.lb4j;

import java.util.Objects;

/**
 * The outcome of one health check.
 *
 * @param healthy whether the backend passed
 * @param reason why it failed, or {@code "ok"}; short, for logs and metrics
 */
public record ProbeResult(boolean healthy, String reason) {

    private static final ProbeResult HEALTHY = new ProbeResult(true, "ok");

    /**
     * Requires a reason.
     *
     * @param healthy whether the backend passed
     * @param reason a short reason, such as {@code ok} or {@code connect refused}
     */
    public ProbeResult {
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * A pass.
     *
     * @return the healthy result
     */
    public static ProbeResult ok() {
        return HEALTHY;
    }

    /**
     * A failure with a short reason, such as {@code "connect refused"}.
     *
     * @param reason why, such as {@code connect refused}
     * @return an unhealthy result
     */
    public static ProbeResult failed(String reason) {
        return new ProbeResult(false, reason);
    }
}
