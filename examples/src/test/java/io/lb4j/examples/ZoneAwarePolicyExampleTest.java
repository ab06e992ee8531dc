package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.lb4j.testing.FaultOracle;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class ZoneAwarePolicyExampleTest {

    @Test
    void shouldPreferTheLocalZoneAndFallBackWhenItsBackendIsGone() {
        List<String> story = assertTimeoutPreemptively(Duration.ofSeconds(30), ZoneAwarePolicyExample::run);
        assertEquals(List.of("connection 1 -> zone-a backend", "connection 2 -> zone-a backend",
                "connection 3 -> zone-a backend", "local backend gone; connection 4 -> zone-b backend"), story);
    }
}
