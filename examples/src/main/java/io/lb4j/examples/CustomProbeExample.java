package io.lb4j.examples;

import com.sun.net.httpserver.HttpServer;
import io.lb4j.Backend;
import io.lb4j.Balancer;
import io.lb4j.BalancerStats;
import io.lb4j.BalancingPolicy;
import io.lb4j.HealthProbe;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A custom health probe: a backend counts as healthy only if its own {@code /ready} endpoint answers
 * 200 and reports spare capacity ({@code spare=N} with N > 0). The probe is non-blocking
 * ({@link HealthProbe#async}), built on the JDK's {@link HttpClient}; the balancer enforces the
 * timeout. Runs to completion on loopback: two backends, one full, and one request through lb4j.
 *
 * <pre>mvn -q -pl examples exec:java -Ddemo.main=io.lb4j.examples.CustomProbeExample</pre>
 */
public final class CustomProbeExample {
    private CustomProbeExample() {
    }

    /** Healthy when {@code GET /ready} says {@code spare=N} with N > 0. */
    static HealthProbe spareCapacityProbe(HttpClient http) {
        return HealthProbe.async(backend -> ready(http, backend));
    }

    private static CompletionStage<Boolean> ready(HttpClient http, Backend backend) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + backend.name() + "/ready"))
                .timeout(Duration.ofSeconds(1)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> response.statusCode() == 200 && spare(response.body()) > 0);
    }

    private static int spare(String body) {
        String text = body.trim();
        if (!text.startsWith("spare=")) {
            return 0;
        }
        try {
            return Integer.parseInt(text.substring(6));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A backend that serves {@code /} with its name and {@code /ready} with its spare capacity. */
    private static HttpServer backend(String name, int spare) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/ready", exchange -> reply(exchange, "spare=" + spare));
        server.createContext("/", exchange -> reply(exchange, "hello from " + name));
        server.start();
        return server;
    }

    private static void reply(com.sun.net.httpserver.HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    /** Starts two backends and a balancer, shows the probe's verdicts, sends two requests, stops. */
    public static void main(String[] args) throws Exception {
        run().forEach(System.out::println);
    }

    /**
     * The example's work: returns, in order, one line per backend ({@code HOST:PORT is STATE (reason)})
     * and one line per request sent through the balancer.
     */
    static List<String> run() throws Exception {
        List<String> lines = new ArrayList<>();
        HttpServer roomy = backend("roomy", 8);
        HttpServer full = backend("full", 0);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        try (Balancer lb = Balancer.builder()
                .listen("127.0.0.1:0")
                .backend("127.0.0.1:" + roomy.getAddress().getPort())
                .backend("127.0.0.1:" + full.getAddress().getPort())
                .policy(BalancingPolicy.roundRobin())
                .probe(spareCapacityProbe(http))
                .probeInterval(Duration.ofSeconds(2))
                .probeTimeout(Duration.ofSeconds(1))
                .drainTimeout(Duration.ofMillis(200)) // the JDK client keeps its connection alive: don't wait for it
                .build()) {
            lb.start(); // returns once each backend's first probe has answered
            for (BalancerStats.BackendStats s : lb.stats().backends()) {
                String name = s.backend().port() == roomy.getAddress().getPort() ? "roomy" : "full";
                lines.add(name + " is " + s.state() + " (" + s.reason() + ")");
            }
            URI front = URI.create("http://127.0.0.1:" + lb.addresses().get(0).getPort() + "/");
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(front).build(),
                        HttpResponse.BodyHandlers.ofString());
                lines.add("through lb4j: " + answer.body()); // always the roomy one
            }
        } finally {
            roomy.stop(0);
            full.stop(0);
        }
        return lines;
    }
}
