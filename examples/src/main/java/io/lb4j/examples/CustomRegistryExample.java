package io.lb4j.examples;

import com.sun.net.httpserver.HttpServer;
import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A registry of your own in a few lines: poll an HTTP endpoint that lists the members, one
 * {@code HOST:PORT} a line, and push the list to the balancer. Runs by itself on loopback: a members
 * endpoint, two backends, the balancer; the second backend joins half-way and clients reach it.
 */
public final class CustomRegistryExample {

    /** The whole custom registry: a poller that pushes what the endpoint lists. */
    static final class HttpPollingRegistry implements BackendRegistry {
        private final URI members;
        private final HttpClient http = HttpClient.newHttpClient();
        private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();

        HttpPollingRegistry(URI members) {
            this.members = members;
        }

        @Override
        public void start(Consumer<List<Backend>> sink) {
            sink.accept(fetch()); // the first list before start returns: a failure here fails start
            poller.scheduleWithFixedDelay(() -> {
                try {
                    sink.accept(fetch());
                } catch (RuntimeException e) {
                    // keep the last good list; try again next time
                }
            }, 200, 200, TimeUnit.MILLISECONDS);
        }

        private List<Backend> fetch() {
            try {
                String body = http.send(HttpRequest.newBuilder(members).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                return body.lines().filter(l -> !l.isBlank()).map(Backend::parse).toList();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            poller.shutdownNow();
        }
    }

    private CustomRegistryExample() {
    }

    /** Runs the demo and prints what happened. */
    public static void main(String... args) throws Exception {
        run().forEach(System.out::println);
    }

    /**
     * Runs the demo: the first line has the backends reached while only "one" is listed, the second
     * the last ones reached after "two" joined (ending with "two").
     */
    static List<String> run() throws Exception {
        List<String> story = new ArrayList<>();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket one = backend("one"); ServerSocket two = backend("two")) {
            List<String> listed = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(name(one)));
            HttpServer endpoint = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
            endpoint.createContext("/members", exchange -> {
                byte[] body = String.join("\n", listed).getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            endpoint.start();
            URI members = URI.create("http://" + name(endpoint.getAddress()) + "/members");
            try (Balancer lb = Balancer.builder().listen(new InetSocketAddress(loopback, 0))
                    .registry(new HttpPollingRegistry(members)).policy(BalancingPolicy.roundRobin()).build()) {
                lb.start();
                story.add("before: " + ask(lb) + ", " + ask(lb));
                listed.add(name(two));
                List<String> seen = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!seen.contains("two") && System.nanoTime() - deadline < 0) {
                    seen.add(ask(lb));
                }
                story.add("after 'two' was listed: " + seen.subList(Math.max(0, seen.size() - 4), seen.size()));
            } finally {
                endpoint.stop(0);
            }
        }
        return story;
    }

    /** A backend that answers every connection with its name. */
    private static ServerSocket backend(String name) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(name.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed: the demo is over
                }
            }
        }, "backend-" + name);
        t.setDaemon(true);
        t.start();
        return server;
    }

    private static String ask(Balancer lb) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(lb.addresses().get(0), 2_000);
            s.setSoTimeout(2_000);
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String name(ServerSocket s) {
        return "127.0.0.1:" + s.getLocalPort();
    }

    private static String name(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
