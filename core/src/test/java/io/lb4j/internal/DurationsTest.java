package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void shouldParseEveryUnitOfTheContract() {
        assertEquals(Duration.ZERO, Durations.parse("0"));
        assertEquals(Duration.ofMillis(250), Durations.parse("250ms"));
        assertEquals(Duration.ofSeconds(5), Durations.parse("5s"));
        assertEquals(Duration.ofMinutes(4), Durations.parse("4m"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h"));
    }

    @Test
    void shouldRejectFractionsCompoundsSignsAndLeadingZeros() {
        for (String bad : new String[] {"", "5", "1.5s", "1m30s", "-1s", "05s", "s", "5 s", "5S", "0s", "9999999999999s"}) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
        }
    }
}
