package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.ExpectFaults;
import io.lb4j.testing.FaultOracle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The fault sink: every fault counted by kind, the first of a kind logged with its throwable, then rate-limited. */
@ExtendWith(FaultOracle.class)
class FaultsTest {
    private final Logger logger = Logger.getLogger(Faults.LOGGER);
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        logger.removeHandler(capture);
    }

    @Test
    @ExpectFaults({"unit", "event loop failed"})
    void shouldCountAFaultWhenTheHostsLoggingThrows() {
        Handler throwing = new Handler() {
            @Override
            public void publish(LogRecord record) {
                throw new IllegalStateException("a host's handler that fails");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(throwing);
        try {
            Faults faults = new Faults();
            faults.record("unit logging", new IllegalStateException("first"));
            faults.loopFailed("lb4j-loop-9", new IllegalStateException("ended"));
            assertEquals(2, faults.total(), "both counted, nothing thrown to the reporter");
            assertEquals(1, faults.loopFailures());
        } finally {
            logger.removeHandler(throwing);
        }
    }

    @Test
    @ExpectFaults("unit")
    void shouldLogTheFirstOfEachKindWithItsThrowableAndCountEveryOne() {
        Faults faults = new Faults();
        IllegalStateException first = new IllegalStateException("first");
        faults.record("unit test", first);
        for (int i = 0; i < 99; i++) {
            faults.record("unit test", new IllegalStateException("again " + i));
        }
        IllegalArgumentException other = new IllegalArgumentException("another kind");
        faults.record("unit test", other);
        assertEquals(101, faults.total());
        assertEquals(100, faults.count("unit test: IllegalStateException"));
        assertEquals(java.util.Map.of("unit test: IllegalStateException", 100L,
                "unit test: IllegalArgumentException", 1L), faults.byKind());
        assertEquals(2, records.size(), "one line per kind within the interval, not a flood: " + records.size());
        assertSame(first, records.get(0).getThrown(), "the first of a kind carries its stack trace");
        assertTrue(records.get(0).getMessage().startsWith("unit test: IllegalStateException: first"),
                records.get(0).getMessage());
        assertSame(other, records.get(1).getThrown());
        assertEquals(0, faults.loopFailures());
    }

    @Test
    @ExpectFaults("event loop failed")
    void shouldLogALoopFailureAsSevereEveryTimeAndCountItApart() {
        Faults faults = new Faults();
        OutOfMemoryError cause = new OutOfMemoryError("simulated");
        faults.loopFailed("lb4j-loop-1", cause);
        faults.loopFailed("lb4j-loop-0", cause);
        assertEquals(2, faults.loopFailures());
        assertEquals(2, faults.total());
        assertEquals(2, records.size());
        assertEquals(java.util.logging.Level.SEVERE, records.get(0).getLevel());
        assertSame(cause, records.get(1).getThrown());
    }
}
