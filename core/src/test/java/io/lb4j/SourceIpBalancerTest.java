package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The hash policies through a real balancer on loopback. */
@ExtendWith(FaultOracle.class)
class SourceIpBalancerTest {
    private final List<NamedBackend> backends = new ArrayList<>();

    /** A loopback server that answers each connection with its own port and closes it. */
    static final class NamedBackend {
        final ServerSocket server;
        final Thread thread;

        NamedBackend() throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        s.getOutputStream().write((server.getLocalPort() + "\n").getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "named-backend-" + server.getLocalPort());
            thread.setDaemon(true);
            thread.start();
        }

        String name() {
            return "127.0.0.1:" + server.getLocalPort();
        }

        void close() throws IOException, InterruptedException {
            server.close();
            thread.join(5_000);
        }
    }

    @AfterEach
    void closeBackends() throws Exception {
        for (NamedBackend b : backends) {
            b.close();
        }
    }

    private Set<String> backendsReached(BalancingPolicy policy, int connections) throws Exception {
        Balancer.Builder builder = Balancer.builder().listen("127.0.0.1:0").policy(policy).probe(null)
                .eventLoops(2).drainTimeout(Duration.ZERO);
        for (int i = 0; i < 4; i++) {
            NamedBackend b = new NamedBackend();
            backends.add(b);
            builder.backend(b.name());
        }
        Set<String> reached = new HashSet<>();
        try (Balancer lb = builder.build()) {
            lb.start();
            InetSocketAddress front = lb.addresses().get(0);
            for (int i = 0; i < connections; i++) {
                try (Socket client = new Socket()) {
                    client.setSoTimeout(5_000);
                    client.connect(front, 5_000);
                    reached.add("127.0.0.1:" + readLine(client.getInputStream()));
                }
            }
        }
        return reached;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            sb.append((char) c);
        }
        return sb.toString();
    }

    @Test
    void shouldKeepEveryConnectionOfOneClientAddressOnOneBackend() throws Exception {
        Set<String> reached = backendsReached(BalancingPolicy.sourceIp(), 24);
        assertEquals(1, reached.size(), "backends reached from 127.0.0.1: " + reached);
    }

    @Test
    void shouldSpreadOneClientAddressesConnectionsUnderFiveTuple() throws Exception {
        // the control: client ports differ per connection, so five-tuple spreads them
        Set<String> reached = backendsReached(BalancingPolicy.fiveTuple(), 24);
        assertTrue(reached.size() > 1, "backends reached: " + reached);
    }
}
