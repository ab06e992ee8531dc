package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.ExpectFaults;
import io.lb4j.testing.FaultOracle;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A registry that throws or pushes garbage never hurts the pool in force. */
@ExtendWith(FaultOracle.class)
class RegistryFaultTest {

    @Test
    void shouldFailStartWithTheRegistrysErrorWhenItThrowsAtStart() {
        BackendRegistry broken = sink -> {
            throw new IllegalStateException("registry unreachable");
        };
        Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(broken).probe(null).jmx(false).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, lb::start);
        assertTrue(e.getMessage().contains("registry unreachable"), e.getMessage());
        lb.close();
    }

    @ExpectFaults("registry snapshot")

    @Test
    void shouldKeepTheLastGoodSetWhenTheRegistryPushesGarbage() throws Exception {
        AtomicReference<Consumer<List<Backend>>> push = new AtomicReference<>();
        try (EchoServer echo = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").registry(sink -> {
                 push.set(sink);
                 sink.accept(List.of(Backend.parse(echo.hostPort())));
             }).probe(null).jmx(false).build()) {
            lb.start();
            Backend dup = Backend.of("127.0.0.1", 1);
            push.get().accept(List.of(dup, dup)); // two backends with one name
            push.get().accept(null);
            push.get().accept(Arrays.asList(dup, null));
            // snapshots apply in order: once this one shows, the garbage before it has been dealt with
            push.get().accept(List.of(Backend.parse(echo.hostPort()).withWeight(2)));
            Await.until("the good snapshot after the garbage applies", () -> lb.stats().backends().size() == 1
                    && lb.stats().backends().get(0).backend().weight() == 2, Duration.ofSeconds(10));
            InetSocketAddress front = lb.addresses().get(0);
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket(front.getAddress(), front.getPort())) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(new byte[] {1, 2, 3});
                    assertArrayEquals(new byte[] {1, 2, 3}, s.getInputStream().readNBytes(3));
                }
            }
            assertEquals(1, lb.stats().backends().size(), "no garbage got into the pool");
            assertEquals(echo.hostPort(), lb.stats().backends().get(0).backend().name());
        }
    }
}
