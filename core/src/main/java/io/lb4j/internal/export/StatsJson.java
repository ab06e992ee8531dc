package io.lb4j.internal.export;

import io.lb4j.BalancerStats;
import io.lb4j.internal.AddressText;
import java.util.Map;

/**
 * Renders a {@link BalancerStats} snapshot as one JSON object (RFC 8259) for {@code GET /stats}.
 * Hand-written for the same reason as {@link PrometheusText}: no runtime dependencies.
 */
public final class StatsJson {
    /** The {@code Content-Type} of this format. */
    public static final String CONTENT_TYPE = "application/json";

    private StatsJson() {
    }

    /**
     * The snapshot as JSON: {@code {"activeConnections":..,"totalConnections":..,
     * "rejectedConnections":..,"listeners":[..],"backends":[..],
     * "acceptPauses":{"limit":..,"rate":..,"resources":..},"rebalancedConnections":..,
     * "unservedConnections":{"noBackend":..,"backendFull":..,"connectFailed":..,"queueTimeout":..},
     * "faults":..,"eventLoopFailures":..,"queue":{"waiting":..,"served":..,"waitedNanos":..}}}.
     */
    public static String render(BalancerStats stats) {
        StringBuilder out = new StringBuilder(256 + 384 * stats.backends().size());
        out.append("{\"activeConnections\":").append(stats.activeConnections())
                .append(",\"totalConnections\":").append(stats.totalConnections())
                .append(",\"rejectedConnections\":").append(stats.rejectedConnections())
                .append(",\"listeners\":[");
        String comma = "";
        for (BalancerStats.ListenerStats l : stats.listeners()) {
            out.append(comma).append("{\"address\":");
            string(out, AddressText.format(l.address()));
            out.append(",\"activeConnections\":").append(l.activeConnections())
                    .append(",\"totalConnections\":").append(l.totalConnections())
                    .append(",\"rejectedConnections\":").append(l.rejectedConnections()).append('}');
            comma = ",";
        }
        out.append("],\"backends\":[");
        comma = "";
        for (BalancerStats.BackendStats b : stats.backends()) {
            out.append(comma).append("{\"backend\":");
            string(out, b.backend().name());
            out.append(",\"weight\":").append(b.backend().weight())
                    .append(",\"adminState\":");
            string(out, b.backend().adminState().name().toLowerCase());
            out.append(",\"state\":");
            string(out, b.state().name().toLowerCase());
            out.append(",\"reason\":");
            string(out, b.reason());
            out.append(",\"up\":").append(b.up())
                    .append(",\"activeConnections\":").append(b.activeConnections())
                    .append(",\"totalConnections\":").append(b.totalConnections())
                    .append(",\"connectFailures\":").append(b.connectFailures())
                    .append(",\"bytesToBackend\":").append(b.bytesToBackend())
                    .append(",\"bytesToClient\":").append(b.bytesToClient())
                    .append(",\"lastProbeLatencyNanos\":").append(b.lastProbeLatencyNanos())
                    .append(",\"probes\":{\"checks\":").append(b.probes().checks())
                    .append(",\"totalNanos\":").append(b.probes().totalNanos()).append(",\"failures\":{");
            String inner = "";
            for (Map.Entry<String, Long> failure : b.probes().failures().entrySet()) {
                out.append(inner);
                string(out, failure.getKey());
                out.append(':').append(failure.getValue());
                inner = ",";
            }
            out.append("}}}");
            comma = ",";
        }
        return out.append("],\"acceptPauses\":{\"limit\":").append(stats.acceptPauses().limit())
                .append(",\"rate\":").append(stats.acceptPauses().rate())
                .append(",\"resources\":").append(stats.acceptPauses().resources())
                .append("},\"rebalancedConnections\":").append(stats.rebalancedConnections())
                .append(",\"unservedConnections\":{\"noBackend\":").append(stats.unserved().noBackend())
                .append(",\"backendFull\":").append(stats.unserved().backendFull())
                .append(",\"connectFailed\":").append(stats.unserved().connectFailed())
                .append(",\"queueTimeout\":").append(stats.unserved().queueTimeout())
                .append("},\"faults\":").append(stats.faults())
                .append(",\"eventLoopFailures\":").append(stats.eventLoopFailures())
                .append(",\"queue\":{\"waiting\":").append(stats.queue().waiting())
                .append(",\"served\":").append(stats.queue().served())
                .append(",\"waitedNanos\":").append(stats.queue().waitedNanos())
                .append("}}").toString();
    }

    /** A JSON string: quotes, backslash and control characters escaped; {@code null} as null. */
    static void string(StringBuilder out, String value) {
        if (value == null) {
            out.append("null");
            return;
        }
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
