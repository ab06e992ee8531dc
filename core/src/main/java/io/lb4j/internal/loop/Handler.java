package io.lb4j.internal.loop;

import java.nio.channels.SelectionKey;

/** What a selection key's attachment does when the key is ready; runs on the key's event loop. */
public interface Handler {
    /**
     * Handles readiness. Exceptions are caught by the loop, counted and logged.
     *
     * @param key the ready key; its ready set was read once by the loop
     * @param readyOps the key's ready operations
     */
    void ready(SelectionKey key, int readyOps);

    /** The loop is shutting down: release the channel. Default: close the key's channel. */
    default void shutdown(SelectionKey key) {
        try {
            key.channel().close();
        } catch (java.io.IOException ignored) {
            // closing at shutdown: nothing left to tell anyone
        }
    }
}
