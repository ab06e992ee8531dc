package io.lb4j.examples;

import io.lb4j.Backend;
import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import io.lb4j.examples.ws.WebSocketServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A balancer configured entirely in code, with several listeners sharing one backend pool: here a
 * "public" and an "internal" frontend, weighted backends, the source-IP distribution mode (one
 * client address always reaches the same backend, on either listener), and every probe and timeout
 * setting spelled out. This is the code equivalent of a command line with two {@code --listen}.
 */
public final class MultiListenerExample {

    private MultiListenerExample() {
    }

    /**
     * Runs the example and prints, per listener, the reply a client got.
     *
     * @param args ignored
     * @throws Exception when the example fails
     */
    public static void main(String[] args) throws Exception {
        run().forEach((listener, reply) -> System.out.println(listener + " -> " + reply));
    }

    /**
     * Starts three backends and a two-listener balancer, sends one message through each listener.
     *
     * @return the reply per listener address ({@code IP:PORT}), in listener order
     * @throws Exception when the example fails
     */
    public static Map<String, String> run() throws Exception {
        List<WebSocketServer> servers = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                servers.add(new WebSocketServer("backend-" + i, "/chat").start());
            }
            Balancer lb = Balancer.builder()
                    .listen("127.0.0.1:0")                                  // public frontend
                    .listen(new InetSocketAddress("127.0.0.1", 0))          // internal frontend
                    .backend(Backend.of("127.0.0.1", servers.get(0).port()).withWeight(2))
                    .backend(Backend.of("127.0.0.1", servers.get(1).port()))
                    .backend(Backend.of("127.0.0.1", servers.get(2).port()).withMaxConnections(1000))
                    .policy(BalancingPolicy.sourceIp())                     // Azure: "Client IP"
                    .probe(HealthProbe.tcp())
                    .probeInterval(Duration.ofSeconds(2))
                    .probeTimeout(Duration.ofSeconds(1))
                    .unhealthyThreshold(2)
                    .healthyThreshold(1)
                    .idleTimeout(Duration.ofMinutes(4))
                    .resetOnIdle(true)                                      // Azure: "TCP reset"
                    .connectTimeout(Duration.ofSeconds(2))
                    .connectAttempts(3)
                    .eventLoops(2)
                    .drainTimeout(Duration.ofSeconds(5))
                    .build();
            lb.start();
            try (lb) {
                Map<String, String> replies = new LinkedHashMap<>();
                for (InetSocketAddress listener : lb.addresses()) {
                    String address = listener.getAddress().getHostAddress() + ":" + listener.getPort();
                    replies.put(address, EmbeddedExample.chatOnce(
                            URI.create("ws://" + address + "/chat"), "hello via " + address));
                }
                return replies;
            }
        } finally {
            servers.forEach(WebSocketServer::kill);
        }
    }
}
