package io.lb4j.internal.relay;

/**
 * Why a client was closed without being relayed although nothing refused it: the reasons of
 * {@code lb4j_unserved_connections_total{reason=...}} (the CLI contract), counted per frontend and loop.
 * Clients refused by the allow and deny ranges, the per-client limit or a bad PROXY header are
 * "rejected" instead; a client that leaves on its own, or a pair closed by a fault, is neither.
 */
public enum Unserved {
    /** No backend was usable: all down, draining, admin-down, or none configured. */
    NO_BACKEND("no-backend", "no usable backend"),
    /** Every usable backend was at its connection limit (or connect rate): no connect was tried. */
    BACKEND_FULL("backend-full", "all backends at their connection limit"),
    /** Every connect attempt failed, or no backend socket could be opened within the connect timeout. */
    CONNECT_FAILED("connect-failed", "all connect attempts failed"),
    /** The client waited for a slot at a full backend and got none in time. */
    QUEUE_TIMEOUT("queue-timeout", "no backend slot within the queue timeout");

    private final String label;
    private final String why;

    Unserved(String label, String why) {
        this.label = label;
        this.why = why;
    }

    /** The Prometheus label value. */
    public String label() {
        return label;
    }

    /** The close reason events and the access log show. */
    public String why() {
        return why;
    }
}
