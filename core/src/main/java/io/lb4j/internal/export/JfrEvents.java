package io.lb4j.internal.export;

import io.lb4j.Backend;
import io.lb4j.internal.AddressText;
import java.net.InetSocketAddress;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The {@code jdk.jfr} side of {@link FlightEvents}: one event class per kind, committed only when a
 * recording enables it (the strings are built after that check). Loaded only through
 * {@link Recorder#events()}, once the module is known to be readable.
 */
final class JfrEvents implements FlightEvents {

    /** Loads the event classes now (the first load initialises the recorder); returns this. */
    JfrEvents loaded() {
        new ConnectionOpened().shouldCommit();
        new ConnectionClosed().shouldCommit();
        new BackendStateChanged().shouldCommit();
        return this;
    }

    @Override
    public void connectionOpened(InetSocketAddress client, Backend backend, long connectNs) {
        ConnectionOpened event = new ConnectionOpened();
        if (!event.shouldCommit()) {
            return;
        }
        event.client = AddressText.format(client);
        event.backend = backend == null ? null : backend.name();
        event.connectTime = connectNs;
        event.commit();
    }

    @Override
    public void connectionClosed(InetSocketAddress client, Backend backend, long durationNs, long bytesToBackend,
                                 long bytesToClient, String reason) {
        ConnectionClosed event = new ConnectionClosed();
        if (!event.shouldCommit()) {
            return;
        }
        event.client = AddressText.format(client);
        event.backend = backend == null ? null : backend.name();
        event.connectionDuration = durationNs;
        event.bytesToBackend = bytesToBackend;
        event.bytesToClient = bytesToClient;
        event.reason = reason;
        event.commit();
    }

    @Override
    public void backendStateChanged(Backend backend, String from, String to, String reason) {
        BackendStateChanged event = new BackendStateChanged();
        if (!event.shouldCommit()) {
            return;
        }
        event.backend = backend.name();
        event.from = from;
        event.to = to;
        event.reason = reason;
        event.commit();
    }

    @Name("io.lb4j.ConnectionOpened")
    @Label("Connection Opened")
    @Category("lb4j")
    @Description("A client connection reached a backend")
    @StackTrace(false)
    @Enabled(false) // one per connection: only when a recording asks for it
    static final class ConnectionOpened extends Event {
        @Label("Client")
        String client;
        @Label("Backend")
        String backend;
        @Label("Connect Time")
        @Timespan(Timespan.NANOSECONDS)
        long connectTime;
    }

    @Name("io.lb4j.ConnectionClosed")
    @Label("Connection Closed")
    @Category("lb4j")
    @Description("A client connection ended")
    @StackTrace(false)
    @Enabled(false) // one per connection: only when a recording asks for it
    static final class ConnectionClosed extends Event {
        @Label("Client")
        String client;
        @Label("Backend")
        String backend;
        @Label("Connection Duration")
        @Timespan(Timespan.NANOSECONDS)
        long connectionDuration;
        @Label("Bytes To Backend")
        @DataAmount
        long bytesToBackend;
        @Label("Bytes To Client")
        @DataAmount
        long bytesToClient;
        @Label("Reason")
        String reason;
    }

    @Name("io.lb4j.BackendStateChanged")
    @Label("Backend State Changed")
    @Category("lb4j")
    @Description("A backend's health changed")
    @StackTrace(false)
    @Enabled(true) // rare: recorded by any recording, -XX:StartFlightRecording's default included
    static final class BackendStateChanged extends Event {
        @Label("Backend")
        String backend;
        @Label("From")
        String from;
        @Label("To")
        String to;
        @Label("Reason")
        String reason;
    }
}
