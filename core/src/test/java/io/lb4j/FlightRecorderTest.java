package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a default Flight Recorder recording (as {@code -XX:StartFlightRecording} makes) holds of lb4j:
 * every backend health change, the first ones during {@code start()} included, and no per-connection
 * event unless asked for. And lb4j leaves the host's own log handlers alone.
 */
@ExtendWith(FaultOracle.class)
class FlightRecorderTest {

    @Test
    void shouldRecordEveryHealthChangeButNoConnectionEventsWithTheDefaultSettings() throws Exception {
        Path file = Files.createTempFile("lb4j", ".jfr");
        int refusedPort;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusedPort = gone.getLocalPort();
        }
        String refused = "127.0.0.1:" + refusedPort;
        try (EchoServer up = EchoServer.start();
             Recording recording = new Recording(Configuration.getConfiguration("default"))) {
            recording.start();
            try (Balancer lb = Balancer.builder().listen("127.0.0.1:0").eventLoops(1).jmx(false)
                    .backend(up.hostPort()).backend(refused).probeInterval(Duration.ofSeconds(30)).build()) {
                lb.start();
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), lb.addresses().get(0).getPort())) {
                    client.getOutputStream().write(7);
                    assertEquals(7, client.getInputStream().read());
                }
                Await.until("the connection to close", () -> lb.stats().activeConnections() == 0, Duration.ofSeconds(5));
            }
            recording.stop();
            recording.dump(file);
        }
        Set<String> changes = new TreeSet<>();
        List<String> connectionEvents = new ArrayList<>();
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            String name = event.getEventType().getName();
            if (name.equals("io.lb4j.BackendStateChanged")) {
                changes.add(event.getString("backend") + " " + event.getString("from") + "->" + event.getString("to"));
            } else if (name.startsWith("io.lb4j.Connection")) {
                connectionEvents.add(name);
            }
        }
        Files.deleteIfExists(file);
        assertEquals(Set.of(up0(changes, refused), refused + " UNKNOWN->DOWN"), changes);
        assertEquals(List.of(), connectionEvents, "connection events only when a recording enables them");
    }

    private static String up0(Set<String> changes, String refused) {
        for (String change : changes) {
            if (!change.startsWith(refused)) {
                assertTrue(change.endsWith(" UNKNOWN->UP"), change);
                return change;
            }
        }
        throw new AssertionError("no change of the healthy backend in " + changes);
    }

    @Test
    void shouldLeaveTheHostsRootLogHandlersAlone() throws Exception {
        AtomicInteger reachedInto = new AtomicInteger();
        Handler host = new Handler() {
            @Override
            public Formatter getFormatter() {
                reachedInto.incrementAndGet();
                return super.getFormatter();
            }

            @Override
            public void publish(LogRecord record) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(host);
        try (EchoServer up = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").eventLoops(1).jmx(false).backend(up.hostPort())
                     .build()) {
            lb.start(); // with a probe: the start that warms a log formatter
            Await.until("lb4j's init thread to finish", () -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("lb4j-init")), Duration.ofSeconds(10));
            assertEquals(0, reachedInto.get(), "lb4j asked the host's root handler for its formatter");
        } finally {
            root.removeHandler(host);
        }
    }
}
