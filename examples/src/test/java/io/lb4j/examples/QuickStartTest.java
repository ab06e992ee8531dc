package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.HealthState;
import io.lb4j.testing.FaultOracle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's program against two Redis-like backends on loopback, one of them still loading. */
@ExtendWith(FaultOracle.class)
class QuickStartTest {

    /** Answers each {@code PING} line with {@code answer}, on a thread per connection. */
    static final class PingServer implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> accepted = new ArrayList<>();
        private final Thread acceptor;

        PingServer(String answer) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        synchronized (accepted) {
                            accepted.add(socket);
                        }
                        Thread serve = new Thread(() -> serve(socket, answer), "ping-server-connection");
                        serve.setDaemon(true);
                        serve.start();
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            }, "ping-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static void serve(Socket socket, String answer) {
            try (socket) {
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.US_ASCII));
                OutputStream out = socket.getOutputStream();
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    out.write(((line.equals("PING") ? answer : "-ERR unknown command") + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // the peer went away
            }
        }

        String hostPort() {
            return "127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }

    @Test
    void shouldSendOnlyToTheBackendThatAnswersPingAndShowTheOthersReason() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (PingServer ready = new PingServer("+PONG");
                 PingServer loading = new PingServer("-LOADING Redis is loading the dataset in memory")) {
                Balancer lb = QuickStart.start("127.0.0.1:0", ready.hostPort(), loading.hostPort());
                try (lb) {
                    Map<String, String> states = new TreeMap<>();
                    for (BalancerStats.BackendStats s : lb.stats().backends()) {
                        states.put(s.backend().name(), s.state() + " " + s.reason());
                    }
                    assertEquals(Map.of(ready.hostPort(), HealthState.UP + " probe: ok",
                            loading.hostPort(), HealthState.DOWN
                                    + " probe: answered -LOADING Redis is loading the dataset in memory"), states);
                    for (int i = 0; i < 4; i++) {
                        try (Socket client = new Socket()) {
                            client.connect(lb.addresses().get(0), 2_000);
                            client.setSoTimeout(5_000);
                            client.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                            String answer = new BufferedReader(new InputStreamReader(client.getInputStream(),
                                    StandardCharsets.US_ASCII)).readLine();
                            assertEquals("+PONG", answer, "connection " + i + " went to the loading backend");
                        }
                    }
                }
            }
        });
    }
}
