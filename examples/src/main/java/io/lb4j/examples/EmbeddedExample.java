package io.lb4j.examples;

import io.lb4j.Balancer;
import io.lb4j.HealthProbe;
import io.lb4j.examples.ws.WebSocketServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Embedding lb4j in an existing application's {@code main}: the application already runs two
 * WebSocket services, builds a {@link Balancer} in front of them in a few lines, and its clients
 * talk to the balancer's address. The part between the {@code tag} comments is the README's
 * embedding snippet (a test keeps the two identical).
 */
public final class EmbeddedExample {

    private EmbeddedExample() {
    }

    /**
     * Runs the example and prints the reply a client got through the balancer.
     *
     * @param args ignored
     * @throws Exception when the example fails
     */
    public static void main(String[] args) throws Exception {
        System.out.println(run());
    }

    /**
     * Starts two backends and a balancer, sends one WebSocket message through it, stops everything.
     *
     * @return the reply, such as {@code "backend-1: hello through lb4j"}
     * @throws Exception when the example fails
     */
    public static String run() throws Exception {
        // the application's own services, already there before lb4j
        try (WebSocketServer one = new WebSocketServer("backend-1", "/chat").start();
             WebSocketServer two = new WebSocketServer("backend-2", "/chat").start()) {
            String backend1 = "127.0.0.1:" + one.port();
            String backend2 = "127.0.0.1:" + two.port();
            // tag::embed[]
            Balancer lb = Balancer.builder()
                    .listen("127.0.0.1:0")                 // port 0: any free port
                    .backend(backend1)
                    .backend(backend2)
                    .probe(HealthProbe.tcp())
                    .probeInterval(Duration.ofSeconds(1))
                    .idleTimeout(Duration.ofMinutes(4))
                    .build();
            lb.start();                                    // binds, probes once, then accepts
            int port = lb.addresses().get(0).getPort();
            // end::embed[]
            try (lb) {
                return chatOnce(URI.create("ws://127.0.0.1:" + port + "/chat"), "hello through lb4j");
            }
        }
    }

    /**
     * Opens a WebSocket, sends one text message, and returns the first text reply.
     *
     * @param uri where to connect
     * @param text what to send
     * @return the reply
     * @throws Exception when no reply comes within 5 seconds
     */
    static String chatOnce(URI uri, String text) throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(uri, new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            reply.complete(partial.toString());
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
        try {
            ws.sendText(text, true).get(5, TimeUnit.SECONDS);
            return reply.get(5, TimeUnit.SECONDS);
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
            ws.abort();
        }
    }
}
