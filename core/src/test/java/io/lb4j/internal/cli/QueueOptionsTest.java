package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Balancer;
import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CLI's wait queue options: {@code --queue-timeout} and {@code --max-queued}. */
@ExtendWith(FaultOracle.class)
class QueueOptionsTest {

    @Test
    void shouldMakeAClientWaitForAFullBackendWithQueueTimeout() throws Exception {
        try (EchoServer echo = EchoServer.start()) {
            Balancer lb = Options.parse("--listen", "127.0.0.1:0", "--backend", echo.hostPort() + ",max-connections=1",
                    "--probe", "none", "--threads", "1", "--queue-timeout", "10s", "--max-queued", "5",
                    "--drain-timeout", "0").toBuilder().build();
            try (lb) {
                lb.start();
                Socket holder = new Socket();
                try (Socket waiter = new Socket()) {
                    holder.connect(lb.addresses().get(0), 5_000);
                    holder.setSoTimeout(10_000);
                    holder.getOutputStream().write(1);
                    assertEquals(1, holder.getInputStream().read());
                    waiter.connect(lb.addresses().get(0), 5_000);
                    waiter.setSoTimeout(10_000);
                    waiter.getOutputStream().write(2);
                    Await.until("one waiting", () -> lb.stats().queue().waiting() == 1, Duration.ofSeconds(10));
                    holder.close();
                    assertEquals(2, waiter.getInputStream().read(), "served once the slot was free");
                } finally {
                    holder.close();
                }
                assertEquals(1, lb.stats().queue().served());
            }
        }
    }

    @Test
    void shouldRefuseBadValuesNamingTheOption() {
        refused("--queue-timeout", "-1s", "lb4j: --queue-timeout: '-1s' (expected: 0 or a positive integer");
        refused("--queue-timeout", "1.5s", "lb4j: --queue-timeout: '1.5s' (expected: 0 or a positive integer");
        refused("--max-queued", "0", "lb4j: --max-queued: 0 (expected: 1-1000000)");
        refused("--max-queued", "x", "lb4j: --max-queued: 'x' (expected: an integer 1-1000000)");
        Options.parse(CliRun.with("--queue-timeout", "0", "--max-queued", "1000000")).toBuilder().build();
    }

    private static void refused(String option, String value, String start) {
        String line = CliRun.refusal(option, value);
        assertTrue(line.startsWith(start), line);
    }

    @Test
    void shouldDescribeBothOptionsWithTheirDefaultsInTheHelp() {
        assertTrue(Options.HELP.contains("  --queue-timeout D "), Options.HELP);
        assertTrue(Options.HELP.contains("is closed; 0 = closed at once (default 0)"));
        assertTrue(Options.HELP.contains("  --max-queued N "));
        assertTrue(Options.HELP.contains("(default 1000)"));
    }
}
