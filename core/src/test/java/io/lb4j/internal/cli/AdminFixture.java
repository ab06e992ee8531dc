package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.Balancer;
import io.lb4j.BalancerListener;
import io.lb4j.internal.engine.Engine;
import io.lb4j.internal.engine.EngineAccess;
import io.lb4j.internal.export.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A balancer started from a command line with {@code --admin 127.0.0.1:0}, wired exactly as the CLI
 * wires it (Options → builder → start → admin API), plus a JDK {@link HttpClient} for it. Closing it
 * checks that no fault was recorded.
 */
final class AdminFixture implements AutoCloseable {
    static final String TOKEN = "s3cr3t-t0ken-of-the-test_0123456789";

    final Balancer lb;
    final Engine engine;
    final HttpServer admin;
    final List<String> changes = new CopyOnWriteArrayList<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    final String token;

    private AdminFixture(Options options, BalancerListener listener, HttpServer.Limits limits) {
        Balancer.Builder builder = options.toBuilder();
        if (listener != null) {
            builder.listener(listener);
        }
        lb = builder.build();
        lb.start();
        engine = EngineAccess.engine(lb);
        token = options.adminToken();
        HttpServer server;
        try {
            server = AdminApi.start(lb, options.admin(), options.overrides(), token, changes::add, limits);
        } catch (RuntimeException e) {
            lb.closeNow();
            throw e;
        }
        admin = server;
    }

    /** Starts with {@code args} (which must name the backends) plus {@code --admin 127.0.0.1:0}. */
    static AdminFixture start(HttpServer.Limits limits, BalancerListener listener, String... args) {
        List<String> all = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"));
        all.addAll(List.of(args));
        return new AdminFixture(Options.parse(all.toArray(new String[0])), listener, limits);
    }

    /** As {@link #start}, with {@link #TOKEN} in a file given as {@code --admin-token-file}. */
    static AdminFixture startWithToken(Path dir, HttpServer.Limits limits, String... args) {
        try {
            Path file = dir.resolve("token");
            Files.writeString(file, TOKEN + "\n# the first line counts\n");
            List<String> all = new ArrayList<>(List.of("--admin-token-file", file.toString()));
            all.addAll(List.of(args));
            return start(limits, null, all.toArray(new String[0]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI uri(String pathAndQuery) {
        InetSocketAddress a = admin.address();
        return URI.create("http://127.0.0.1:" + a.getPort() + pathAndQuery);
    }

    /** One request with the fixture's token (if any). */
    HttpResponse<String> send(String method, String pathAndQuery, String body) {
        return send(method, pathAndQuery, body, token == null ? null : "Bearer " + token);
    }

    /** One request with {@code authorization} as the header (none when {@code null}). */
    HttpResponse<String> send(String method, String pathAndQuery, String body, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + pathAndQuery, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String pathAndQuery) {
        return send("GET", pathAndQuery, null);
    }

    HttpResponse<String> post(String path, String body) {
        return send("POST", path, body);
    }

    /** Sends raw bytes on a fresh socket and reads the answer until the server closes. */
    String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", admin.address().getPort())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Override
    public void close() {
        lb.close();
        assertEquals(0, engine.faults().total(), "no fault recorded");
    }
}
