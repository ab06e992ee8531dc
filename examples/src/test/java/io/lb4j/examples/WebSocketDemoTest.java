package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the demo headless in its short mode and checks that the story it tells really happened. */
@ExtendWith(FaultOracle.class)
class WebSocketDemoTest {

    @Test
    void shouldTellTheWholeStoryWithoutLosingOrReorderingAMessage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        WebSocketDemo.Summary s = assertTimeoutPreemptively(Duration.ofSeconds(40),
                () -> WebSocketDemo.run(WebSocketDemo.Settings.parse("--short"), out));
        String printed = bytes.toString(StandardCharsets.UTF_8);

        assertEquals(java.util.List.of(), s.failures(), printed);
        // every client's messages echoed, in order, none lost on an open connection
        assertEquals(12, s.clients());
        assertTrue(s.fewestEchoedByOneClient() > 0, printed);
        assertEquals(0, s.outOfOrder(), printed);
        assertEquals(0, s.lost(), printed);
        assertEquals(0, s.engineFaults(), printed);
        assertTrue(printed.contains("  engine faults: 0"), printed);
        // the dead backend: its clients went on elsewhere, the balancer sent it nothing while down
        assertTrue(s.clientsOnKilled() > 0, printed);
        assertEquals(s.clientsOnKilled(), s.clientsMoved(), printed);
        assertEquals(0, s.newToKilledWhileDown(), printed);
        // scale out reached the new backend, the drained one got nothing new
        assertTrue(s.addedConnections() > 0, printed);
        assertTrue(s.messagesPerBackend().get("backend-4") > 0, printed);
        assertEquals(0, s.newToDrained(), printed);
        assertTrue(s.ok(), printed);
        assertTrue(printed.contains("The story went as told."), printed);
        assertTrue(printed.contains("backend-4  127.0.0.1:"), printed); // the table has the new row
    }

    @Test
    void shouldRejectAnUnknownOptionNamingIt() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> WebSocketDemo.Settings.parse("--fast"));
        assertTrue(e.getMessage().startsWith("--fast: unknown option"), e.getMessage());
    }
}
