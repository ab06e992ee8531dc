package io.lb4j.internal.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.lb4j.internal.Faults;
import io.lb4j.internal.loop.EventLoop;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class NativeHeapTrimTest {
    private final Faults faults = new Faults();
    private final AtomicInteger open = new AtomicInteger();
    private EventLoop loop;
    private ExecutorService control;
    private NativeHeapTrim trim;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(Arrays.stream(ManagementFactory.getPlatformMBeanServer()
                        .getMBeanInfo(new ObjectName("com.sun.management:type=DiagnosticCommand")).getOperations())
                .anyMatch(op -> op.getName().equals("systemTrimNativeHeap")), "this JDK has System.trim_native_heap");
        loop = new EventLoop(0, "trim-test-loop", faults);
        loop.start();
        control = Executors.newSingleThreadExecutor();
        trim = NativeHeapTrim.create(open, control, faults);
        assertNotNull(trim, "java.management is readable here");
    }

    @AfterEach
    void stop() throws Exception {
        if (loop != null) {
            loop.shutdown();
            loop.terminated().get(5, TimeUnit.SECONDS);
            control.shutdownNow();
            assertEquals(0, faults.total(), "no fault counted");
        }
    }

    private void move(int count) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            open.set(count);
            trim.moved(count, loop);
            done.complete(null);
        });
        done.get(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldTrimOnceTheCountHasMovedByManyConnectionsAndHeldStill() throws Exception {
        move(NativeHeapTrim.MIN_CHANGE);

        Await.until("a trim after the count held still", () -> trim.trims() == 1, Duration.ofSeconds(15));
    }

    @Test
    void shouldNotArmForFewerConnectionsThanTheThresholdSinceTheLastTrim() throws Exception {
        move(NativeHeapTrim.MIN_CHANGE - 1);

        assertEquals(0, loop.timers().size(), "no timer armed for a small move");
        move(NativeHeapTrim.MIN_CHANGE);
        Await.until("a trim after the count held still", () -> trim.trims() == 1, Duration.ofSeconds(15));
        move(2 * NativeHeapTrim.MIN_CHANGE - 1); // moved by MIN_CHANGE - 1 since that trim
        assertEquals(0, loop.timers().size(), "no timer armed for a small move since the last trim");
    }
}
