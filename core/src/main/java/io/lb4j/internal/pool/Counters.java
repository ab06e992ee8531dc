package io.lb4j.internal.pool;

/**
 * One backend's counters as seen by one event loop. Plain fields written only by that loop, summed by
 * {@code stats()}: a counter update is one add, with no atomic and no contention.
 */
public final class Counters {
    /** Connections established. */
    public long connections;
    /** Failed connect attempts. */
    public long connectFailures;
    /** Bytes relayed from clients to the backend. */
    public long bytesToBackend;
    /** Bytes relayed from the backend to clients. */
    public long bytesToClient;
}
