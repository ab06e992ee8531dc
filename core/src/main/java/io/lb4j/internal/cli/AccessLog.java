package io.lb4j.internal.cli;

import io.lb4j.BalancerListener;
import io.lb4j.ConnectionEvent;
import io.lb4j.internal.AddressText;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.time.temporal.ChronoUnit;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CLI's {@code --access-log}: one line per closed or rejected connection on standard output,
 * {@code TIME CLIENT BACKEND DURATION BYTES_TO_BACKEND BYTES_TO_CLIENT REASON}, for example {@code
 * 2025-01-31T12:00:00.123Z 127.0.0.1:51234 10.0.0.11:9000 1503ms 517 20480 closed} ({@code -} for
 * no backend), then {@code linkid=N} when the client's PROXY v2 header carried an Azure Private Link
 * LINKID. Lines are handed to a writer thread, so a slow reader of standard output never stalls
 * an event loop; when that reader falls {@value #QUEUE_LINES} lines behind, lines are dropped and
 * counted rather than blocking the relay.
 */
final class AccessLog implements BalancerListener, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.lb4j");
    static final int QUEUE_LINES = 65_536;
    private static final String END = new String("end of access log");

    private final PrintStream out;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(QUEUE_LINES);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;

    AccessLog(PrintStream out) {
        this.out = out;
        this.writer = new Thread(this::write, "lb4j-access-log");
        this.writer.setDaemon(true);
    }

    /** Starts writing (lines logged before wait in the queue, so they follow the ready line). */
    void start() {
        writer.start();
    }

    /** The line for one event. */
    static String line(ConnectionEvent event) {
        return event.time().truncatedTo(ChronoUnit.MILLIS) + " " + AddressText.format(event.client()) + " "
                + (event.backend() == null ? "-" : event.backend().name()) + " "
                + event.duration().toMillis() + "ms " + event.bytesToBackend() + " " + event.bytesToClient()
                + " " + event.reason() + linkId(event);
    }

    /** {@code " linkid=N"} when the client's PROXY v2 header carried an Azure Private Link LINKID. */
    private static String linkId(ConnectionEvent event) {
        OptionalLong id = event.proxyTlvs().azureLinkId();
        return id.isPresent() ? " linkid=" + id.getAsLong() : "";
    }

    @Override
    public void connectionClosed(ConnectionEvent event) {
        offer(line(event));
    }

    @Override
    public void connectionRejected(ConnectionEvent event) {
        offer(line(event));
    }

    private void offer(String line) {
        if (!lines.offer(line) && dropped.getAndIncrement() == 0) {
            LOG.log(Level.WARNING, "access log: standard output is too slow; dropping lines");
        }
    }

    private void write() {
        try {
            while (true) {
                String line = lines.take();
                if (line == END) {
                    return;
                }
                out.println(line);
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes what is queued (for up to 2 s), then stops the writer. */
    @Override
    public void close() {
        try {
            if (writer.isAlive()) {
                lines.offer(END, 2, TimeUnit.SECONDS);
                writer.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long lost = dropped.get();
        if (lost > 0) {
            LOG.log(Level.WARNING, "access log: " + lost + " lines dropped");
        }
    }
}
