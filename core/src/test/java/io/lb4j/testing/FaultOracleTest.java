package io.lb4j.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Balancer;
import io.lb4j.BalancerListener;
import io.lb4j.ConnectionEvent;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The oracle itself: it fails on an undeclared fault and on a socket left open, and passes otherwise. */
@ExtendWith(FaultOracle.class)
class FaultOracleTest {

    /** Runs a balancer whose listener throws on the one connection made, then closes everything. */
    private static void provokeAListenerFault() throws Exception {
        BalancerListener throwing = new BalancerListener() {
            @Override
            public void connectionOpened(ConnectionEvent event) {
                throw new IllegalStateException("a listener's bug");
            }
        };
        try (EchoServer echo = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(echo.hostPort()).probe(null)
                     .eventLoops(1).listener(throwing).build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                s.getOutputStream().write('x');
                s.setSoTimeout(10_000);
                s.getInputStream().read();
            }
            Await.until("the fault counted", () -> lb.stats().faults() == 1, Duration.ofSeconds(10));
        }
    }

    @Test
    @ExpectFaults("listener") // for the oracle around this test, which checks a second one inside
    void shouldFailATestThatCausedAnUndeclaredFault() throws Exception {
        FaultOracle.Baseline baseline = FaultOracle.Baseline.now();
        provokeAListenerFault();
        AssertionError failure = assertThrows(AssertionError.class,
                () -> FaultOracle.verify("provoking", baseline, List.of()));
        assertTrue(failure.getMessage().contains("undeclared fault: listener: IllegalStateException"),
                failure.getMessage());
    }

    @Test
    @ExpectFaults("listener")
    void shouldPassATestThatDeclaredTheFaultItCaused() throws Exception {
        FaultOracle.Baseline baseline = FaultOracle.Baseline.now();
        provokeAListenerFault();
        FaultOracle.verify("provoking", baseline, List.of("listener"));
    }

    @Test
    void shouldFailATestThatLeftASocketOpen() throws Exception {
        FaultOracle.Baseline baseline = FaultOracle.Baseline.now();
        if (baseline.sockets() == null) {
            return; // no /proc/self/fd here: the socket check is off
        }
        try (java.net.ServerSocket left = new java.net.ServerSocket(0)) {
            assertTrue(left.isBound());
            AssertionError failure = assertThrows(AssertionError.class,
                    () -> FaultOracle.verify("leaking", baseline, List.of(), Duration.ofMillis(200)));
            assertTrue(failure.getMessage().contains("sockets opened during the test and still open"),
                    failure.getMessage());
        }
        FaultOracle.verify("closed again", baseline, List.of());
    }
}
