package io.lb4j.internal.loop;

import java.io.IOException;
import java.nio.channels.SelectionKey;

/** What a selection key's attachment does when the key is ready; runs on the key's event loop. */
public interface Handler {
    /**
     * Handles readiness. What it throws goes to {@link #failed} (the loop counts it first).
     *
     * @param key the ready key; its ready set was read once by the loop
     * @param readyOps the key's ready operations
     */
    void ready(SelectionKey key, int readyOps);

    /**
     * {@link #ready} threw {@code cause} (already counted as a fault): release what the failure leaves
     * behind through the owner's normal close, so that a fault costs exactly what this handler owns
     * (a connection pair closes both its channels and settles its counters; an acceptor keeps its
     * listener). Default: cancel the key and close its channel, for handlers that own that alone.
     *
     * @param key the key whose handler threw
     * @param cause what it threw (a {@code RuntimeException} or a non-fatal {@code Error})
     */
    default void failed(SelectionKey key, Throwable cause) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // failing already
        }
    }

    /** The loop is shutting down: release the channel. Default: close the key's channel. */
    default void shutdown(SelectionKey key) {
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // closing at shutdown: nothing left to tell anyone
        }
    }
}
