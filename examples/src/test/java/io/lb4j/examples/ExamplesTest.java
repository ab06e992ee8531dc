package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs each example's main work in-process, with a deadline, and checks what it did. */
@ExtendWith(FaultOracle.class)
class ExamplesTest {

    @Test
    void shouldRelayAMessageThroughTheEmbeddedBalancer() {
        String reply = assertTimeoutPreemptively(Duration.ofSeconds(20), EmbeddedExample::run);
        assertTrue(reply.matches("backend-[12]: hello through lb4j"), reply);
    }

    @Test
    void shouldServeEveryListenerFromTheSharedPoolWithSourceIpAffinity() {
        Map<String, String> replies = assertTimeoutPreemptively(Duration.ofSeconds(20), MultiListenerExample::run);
        assertEquals(2, replies.size(), replies.toString());
        List<String> backends = new ArrayList<>();
        replies.forEach((listener, reply) -> {
            assertTrue(reply.matches("backend-[123]: hello via \\Q" + listener + "\\E"), reply);
            backends.add(reply.substring(0, reply.indexOf(':')));
        });
        // source-IP distribution: the same client IP reaches the same backend through either listener
        assertEquals(backends.get(0), backends.get(1), replies.toString());
    }

    @Test
    void shouldKeepServingAnOpenConnectionWhileTheShutdownHookDrains() {
        List<String> story = assertTimeoutPreemptively(Duration.ofSeconds(40), ShutdownHookExample::run);
        assertEquals("reply: backend-1: before the signal", story.get(1), story.toString());
        assertEquals("child: draining", story.get(3), story.toString());
        assertEquals("reply: backend-1: during the drain", story.get(4), story.toString());
        assertTrue(story.get(6).startsWith("child: closed after "), story.toString());
        assertEquals("child exited", story.get(7), story.toString());
    }

    @Test
    void shouldSendOnlyToTheBackendWhoseOwnReadyEndpointReportsSpareCapacity() {
        List<String> lines = assertTimeoutPreemptively(Duration.ofSeconds(20), CustomProbeExample::run);
        assertEquals(List.of("roomy is UP (probe: ok)", "full is DOWN (probe: probe said unhealthy)",
                "through lb4j: hello from roomy", "through lb4j: hello from roomy"), lines);
    }

    @Test
    void shouldReachABackendThatTheCustomRegistryListsLater() {
        List<String> story = assertTimeoutPreemptively(Duration.ofSeconds(30), CustomRegistryExample::run);
        assertEquals("before: one, one", story.get(0), story.toString());
        assertTrue(story.get(1).startsWith("after 'two' was listed: [") && story.get(1).endsWith("two]"),
                story.toString());
    }
}
