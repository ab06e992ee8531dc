package io.lb4j.internal.export;

import io.lb4j.BalancerStats;
import java.util.Map;

/**
 * Renders a {@link BalancerStats} snapshot in the Prometheus text exposition format 0.0.4, with the
 * metric names and labels of the CLI contract. A hand-written renderer because lb4j has no runtime
 * dependencies, and the format is a few lines of {@code # HELP}, {@code # TYPE} and samples.
 */
public final class PrometheusText {
    /** The {@code Content-Type} of this format (also public as {@code Balancer.PROMETHEUS_CONTENT_TYPE}). */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusText() {
    }

    /** The snapshot as exposition text; every family has its HELP and TYPE lines, even with no backend. */
    public static String render(BalancerStats stats) {
        StringBuilder out = new StringBuilder(1024 + 512 * stats.backends().size());
        family(out, "lb4j_backend_up", "gauge", "1 when the backend is healthy and admin-up, else 0.");
        for (BalancerStats.BackendStats b : stats.backends()) {
            sample(out, "lb4j_backend_up", b, null, b.up() ? 1 : 0);
        }
        family(out, "lb4j_backend_active_connections", "gauge",
                "Connections open to the backend now, including ones still connecting.");
        for (BalancerStats.BackendStats b : stats.backends()) {
            sample(out, "lb4j_backend_active_connections", b, null, b.activeConnections());
        }
        family(out, "lb4j_backend_connections_total", "counter", "Connections established to the backend.");
        for (BalancerStats.BackendStats b : stats.backends()) {
            sample(out, "lb4j_backend_connections_total", b, null, b.totalConnections());
        }
        family(out, "lb4j_backend_connect_failures_total", "counter",
                "Failed connect attempts to the backend (refused, timed out, unreachable).");
        for (BalancerStats.BackendStats b : stats.backends()) {
            sample(out, "lb4j_backend_connect_failures_total", b, null, b.connectFailures());
        }
        family(out, "lb4j_backend_bytes_total", "counter", "Bytes relayed, by direction.");
        for (BalancerStats.BackendStats b : stats.backends()) {
            sample(out, "lb4j_backend_bytes_total", b, "to_backend", b.bytesToBackend());
            sample(out, "lb4j_backend_bytes_total", b, "to_client", b.bytesToClient());
        }
        family(out, "lb4j_backend_probe_duration_seconds", "summary",
                "Time the backend's health probes took, start to outcome (a timed-out probe counts its timeout).");
        for (BalancerStats.BackendStats b : stats.backends()) {
            seconds(out, "lb4j_backend_probe_duration_seconds_sum", b, b.probes().totalNanos());
            sample(out, "lb4j_backend_probe_duration_seconds_count", b, null, b.probes().checks());
        }
        family(out, "lb4j_backend_probe_failures_total", "counter",
                "Failed health probes of the backend by reason: timeout, connect, status, protocol, unhealthy, error.");
        for (BalancerStats.BackendStats b : stats.backends()) {
            for (Map.Entry<String, Long> failure : b.probes().failures().entrySet()) {
                labelled(out, "lb4j_backend_probe_failures_total", b, "reason", failure.getKey());
                out.append(failure.getValue()).append('\n');
            }
        }
        family(out, "lb4j_active_connections", "gauge", "Client connections open now.");
        out.append("lb4j_active_connections ").append(stats.activeConnections()).append('\n');
        family(out, "lb4j_connections_total", "counter", "Client connections accepted.");
        out.append("lb4j_connections_total ").append(stats.totalConnections()).append('\n');
        family(out, "lb4j_rejected_connections_total", "counter",
                "Client connections refused: allow and deny ranges, per-client limit, missing or bad PROXY header.");
        out.append("lb4j_rejected_connections_total ").append(stats.rejectedConnections()).append('\n');
        family(out, "lb4j_unserved_connections_total", "counter",
                "Client connections closed without being relayed because no backend could take them, by reason.");
        BalancerStats.Unserved unserved = stats.unserved();
        unserved(out, "no-backend", unserved.noBackend());
        unserved(out, "backend-full", unserved.backendFull());
        unserved(out, "connect-failed", unserved.connectFailed());
        unserved(out, "queue-timeout", unserved.queueTimeout());
        // global series carry no labels (the CLI contract), hence one family per pause reason
        global(out, "lb4j_accept_limit_pauses_total",
                "Times accepting paused because the global connection limit was reached.", stats.acceptPauses().limit());
        global(out, "lb4j_accept_rate_pauses_total",
                "Times accepting paused because the accept rate's bucket was empty.", stats.acceptPauses().rate());
        global(out, "lb4j_accept_resource_pauses_total",
                "Times accepting paused for lack of resources, typically file descriptors.",
                stats.acceptPauses().resources());
        global(out, "lb4j_rebalanced_connections_total",
                "Connections the rebalancer closed so that their clients reconnect to a lighter backend.",
                stats.rebalancedConnections());
        global(out, "lb4j_faults_total",
                "Faults caught and survived (each cost at most the connection it hit); 0 in a healthy run.",
                stats.faults());
        global(out, "lb4j_event_loop_failures_total",
                "Event loops that ended while running (their connections were closed).", stats.eventLoopFailures());
        BalancerStats.Queue queue = stats.queue();
        family(out, "lb4j_queued_connections", "gauge",
                "Clients waiting now for a slot at a backend at its connection limit.");
        out.append("lb4j_queued_connections ").append(queue.waiting()).append('\n');
        family(out, "lb4j_queue_wait_seconds", "summary",
                "Time waited in the queue by the clients that then got a slot.");
        out.append("lb4j_queue_wait_seconds_sum ");
        decimalSeconds(out, queue.waitedNanos());
        out.append("lb4j_queue_wait_seconds_count ").append(queue.served()).append('\n');
        return out.toString();
    }

    /** Nanoseconds as seconds with nine decimals, then a newline: exact, no floating point. */
    private static void decimalSeconds(StringBuilder out, long nanos) {
        out.append(nanos / 1_000_000_000L).append('.');
        out.append(Long.toString(1_000_000_000L + nanos % 1_000_000_000L).substring(1)).append('\n');
    }

    /**
     * {@code text} (as {@link #render} makes it) with {@code balancer="NAME"} as the first label of every
     * sample, so that the series of several balancers in one process stay apart. The engine adds it
     * only for a balancer given a name: the command line's global series carry no labels.
     */
    public static String withBalancer(String text, String balancer) {
        StringBuilder label = new StringBuilder("balancer=\"");
        escape(label, balancer);
        label.append('"');
        StringBuilder out = new StringBuilder(text.length() + 64 * 32);
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end + 1;
            if (text.charAt(start) == '#' || text.charAt(start) == '\n') {
                out.append(text, start, end);
            } else {
                int brace = text.indexOf('{', start);
                int space = text.indexOf(' ', start);
                if (brace >= 0 && brace < space) {
                    out.append(text, start, brace + 1).append(label).append(',').append(text, brace + 1, end);
                } else {
                    out.append(text, start, space).append('{').append(label).append('}').append(text, space, end);
                }
            }
            start = end;
        }
        return out.toString();
    }

    private static void seconds(StringBuilder out, String name, BalancerStats.BackendStats b, long nanos) {
        labelled(out, name, b, null, null);
        out.append(nanos / 1_000_000_000L).append('.');
        String fraction = Long.toString(1_000_000_000L + nanos % 1_000_000_000L).substring(1);
        out.append(fraction).append('\n');
    }

    private static void labelled(StringBuilder out, String name, BalancerStats.BackendStats b, String label,
                                 String value) {
        out.append(name).append("{backend=\"");
        escape(out, b.backend().name());
        out.append('"');
        if (label != null) {
            out.append(',').append(label).append("=\"");
            escape(out, value);
            out.append('"');
        }
        out.append("} ");
    }

    /**
     * {@code lb4j_admin_requests_total} by status class and {@code lb4j_admin_changes_total}; every series
     * present, at 0 without the admin API.
     */
    public static String adminRequests(long ok, long clientErrors, long serverErrors, long changes) {
        StringBuilder out = new StringBuilder(256);
        family(out, "lb4j_admin_requests_total", "counter", "Admin API requests answered, by status class.");
        out.append("lb4j_admin_requests_total{status=\"2xx\"} ").append(ok).append('\n');
        out.append("lb4j_admin_requests_total{status=\"4xx\"} ").append(clientErrors).append('\n');
        out.append("lb4j_admin_requests_total{status=\"5xx\"} ").append(serverErrors).append('\n');
        family(out, "lb4j_admin_changes_total", "counter", "Changes made through the admin API.");
        out.append("lb4j_admin_changes_total ").append(changes).append('\n');
        return out.toString();
    }

    private static void unserved(StringBuilder out, String reason, long value) {
        out.append("lb4j_unserved_connections_total{reason=\"").append(reason).append("\"} ").append(value).append('\n');
    }

    private static void global(StringBuilder out, String name, String help, long value) {
        family(out, name, "counter", help);
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void family(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, BalancerStats.BackendStats b, String direction,
                               long value) {
        out.append(name).append("{backend=\"");
        escape(out, b.backend().name());
        out.append('"');
        if (direction != null) {
            out.append(",direction=\"").append(direction).append('"');
        }
        out.append("} ").append(value).append('\n');
    }

    /** Label values escape backslash, double quote and line feed (text format 0.0.4). */
    static void escape(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\': out.append("\\\\"); break;
                case '"': out.append("\\\""); break;
                case '\n': out.append("\\n"); break;
                default: out.append(c);
            }
        }
    }
}
