package io.lb4j.testing;

import io.lb4j.BalancerListener;
import io.lb4j.ConnectionEvent;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A listener that keeps every connection event a balancer reports, in order, per kind. The queues are
 * filled on the event loops and read by the test: wait on one with {@code poll(timeout)} or
 * {@link Await}.
 */
public final class EventRecorder implements BalancerListener {
    /** {@link BalancerListener#connectionOpened} events. */
    public final BlockingQueue<ConnectionEvent> opened = new LinkedBlockingQueue<>();
    /** {@link BalancerListener#connectionClosed} events. */
    public final BlockingQueue<ConnectionEvent> closed = new LinkedBlockingQueue<>();
    /** {@link BalancerListener#connectionRejected} events. */
    public final BlockingQueue<ConnectionEvent> rejected = new LinkedBlockingQueue<>();

    @Override
    public void connectionOpened(ConnectionEvent event) {
        opened.add(event);
    }

    @Override
    public void connectionClosed(ConnectionEvent event) {
        closed.add(event);
    }

    @Override
    public void connectionRejected(ConnectionEvent event) {
        rejected.add(event);
    }
}
