package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.testing.FaultOracle;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
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

    @Test
    void shouldRejectNonAsciiDigitsAndDurationsBeyondTheMaximum() {
        // Character.isDigit and Long.parseLong take these; the contract's integer is ASCII
        for (String bad : new String[] {"\u0665s", "\uff15s", "1\u0660s", "100001h", "6000001m", "999999999999h"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
            assertEquals("'" + bad + "'", e.getMessage().substring(0, bad.length() + 2));
        }
        assertEquals(Duration.ofHours(100_000), Durations.parse("100000h"));
        assertEquals(Duration.ofHours(100_000), Durations.parse("6000000m"));
        assertEquals("'100001h' (expected: at most 100000h)", assertThrows(IllegalArgumentException.class,
                () -> Durations.parse("100001h")).getMessage());
    }
}
