package io.lb4j.testing;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/** What a test's client sees when the balancer ends its connection: a close or a reset. */
public final class ClientEnd {
    private ClientEnd() {
    }

    /**
     * Whether the balancer closed {@code s} (end of stream or reset) within the socket's read timeout;
     * {@code false} when nothing came by then.
     */
    public static boolean closedByPeer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** {@link #closedByPeer(Socket)} within {@code within}. */
    public static boolean closedByPeer(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        return closedByPeer(s);
    }

    /**
     * The next byte, or -1 at end of stream or when the balancer reset the connection; fails the test
     * when nothing comes within the socket's read timeout (the client was left hanging).
     */
    public static int readOrReset(Socket s) throws IOException {
        try {
            return s.getInputStream().read();
        } catch (SocketTimeoutException hang) {
            throw new AssertionError("the client was left hanging", hang);
        } catch (SocketException reset) {
            return -1;
        }
    }

    /** {@link #readOrReset(Socket)} within {@code within}. */
    public static int readOrReset(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        return readOrReset(s);
    }
}
