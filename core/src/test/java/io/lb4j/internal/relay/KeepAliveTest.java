package io.lb4j.internal.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import io.lb4j.Connection;
import io.lb4j.testing.Await;
import io.lb4j.testing.EchoServer;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** TCP keepalive as the kernel reports it on the balancer's own sockets of a live pair. */
@ExtendWith(FaultOracle.class)
class KeepAliveTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void shouldSwitchKeepaliveOnForBothSocketsOnceAPairHasLastedASecond() throws Exception {
        try (EchoServer backend = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(backend.hostPort())
                     .policy(BalancingPolicy.roundRobin()).probe(null).tcpKeepAlive(Duration.ofSeconds(7)).build()) {
            lb.start();
            try (Socket client = new Socket("127.0.0.1", lb.addresses().get(0).getPort())) {
                echo(client);
                ConnectionPair pair = onlyPair(lb);
                SocketChannel front = pair.clientChannel();
                SocketChannel back = pair.backendChannel();
                long ageNs = System.nanoTime() - pair.openedNs();
                if (ageNs < ConnectionPair.KEEPALIVE_AFTER_NS * 8 / 10) { // a slow machine may be past it already
                    assertFalse(option(front, StandardSocketOptions.SO_KEEPALIVE), "client side, young pair");
                    assertFalse(option(back, StandardSocketOptions.SO_KEEPALIVE), "backend side, young pair");
                }
                Await.until("keepalive on both sockets",
                        () -> option(front, StandardSocketOptions.SO_KEEPALIVE)
                                && option(back, StandardSocketOptions.SO_KEEPALIVE), WAIT);
                if (front.supportedOptions().contains(ExtendedSocketOptions.TCP_KEEPIDLE)) {
                    for (SocketChannel channel : List.of(front, back)) {
                        assertEquals(7, option(channel, ExtendedSocketOptions.TCP_KEEPIDLE));
                        assertEquals(7, option(channel, ExtendedSocketOptions.TCP_KEEPINTERVAL));
                        assertEquals(KeepAlive.COUNT, option(channel, ExtendedSocketOptions.TCP_KEEPCOUNT));
                    }
                }
                echo(client); // the pair still relays after its sockets changed
            }
        }
    }

    @Test
    void shouldLeaveKeepaliveOffWhenItIsSetToZero() throws Exception {
        try (EchoServer backend = EchoServer.start();
             Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(backend.hostPort())
                     .policy(BalancingPolicy.roundRobin()).probe(null).tcpKeepAlive(Duration.ZERO).build()) {
            lb.start();
            try (Socket client = new Socket("127.0.0.1", lb.addresses().get(0).getPort())) {
                echo(client);
                ConnectionPair pair = onlyPair(lb);
                Await.until("the pair outlives the keepalive delay",
                        () -> System.nanoTime() - pair.openedNs() > ConnectionPair.KEEPALIVE_AFTER_NS * 3 / 2, WAIT);
                echo(client); // one more select round on the pair's loop after the delay
                assertFalse(option(pair.clientChannel(), StandardSocketOptions.SO_KEEPALIVE));
                assertFalse(option(pair.backendChannel(), StandardSocketOptions.SO_KEEPALIVE));
            }
        }
    }

    private static ConnectionPair onlyPair(Balancer lb) {
        List<Connection> connections = lb.connections();
        assertEquals(1, connections.size());
        return ((PairHandle) connections.get(0)).pair();
    }

    private static <T> T option(SocketChannel channel, SocketOption<T> name) {
        try {
            return channel.getOption(name);
        } catch (IOException e) {
            throw new AssertionError("reading " + name + ": " + e, e);
        }
    }

    private static void echo(Socket socket) throws IOException {
        byte[] bytes = {1, 2, 3, 4};
        socket.getOutputStream().write(bytes);
        InputStream in = socket.getInputStream();
        for (int read = 0; read < bytes.length; ) {
            int n = in.read(bytes, read, bytes.length - read);
            if (n < 0) {
                throw new IOException("closed after " + read + " bytes");
            }
            read += n;
        }
    }
}
