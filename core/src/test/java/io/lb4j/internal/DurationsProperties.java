package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

class DurationsProperties {

    @Property
    void formatThenParseRoundTripsWholeMilliseconds(@ForAll @LongRange(min = 0, max = 100_000_000_000L) long millis) {
        Duration d = Duration.ofMillis(millis);
        assertEquals(d, Durations.parse(Durations.format(d)));
    }
}
