package io.lb4j.examples;

import io.lb4j.Balancer;
import io.lb4j.examples.ws.WebSocketServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Graceful shutdown from a JVM shutdown hook: on SIGTERM (a container stop, {@code kill PID}) or
 * Ctrl-C, {@link Balancer#close()} stops accepting at once and lets open connections finish, up to
 * the drain timeout, before the process exits.
 *
 * <p>The pattern is the few lines in {@link #serve()}. To show it really works, {@link #main} starts
 * that server as a child JVM, chats through it, sends the child SIGTERM, and goes on chatting on
 * the open connection while the child drains; the child exits as soon as that connection closes.
 */
public final class ShutdownHookExample {

    private ShutdownHookExample() {
    }

    /**
     * Without arguments: runs the whole demonstration and prints what happened. With
     * {@code --serve}: the server part, which runs until the process is stopped.
     *
     * @param args {@code --serve} or nothing
     * @throws Exception when the example fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--serve")) {
            serve();
        } else {
            run().forEach(System.out::println);
        }
    }

    /** The pattern: a balancer whose {@code close()} runs in a shutdown hook. */
    static void serve() throws InterruptedException {
        WebSocketServer backend = new WebSocketServer("backend-1", "/chat").start();
        Balancer lb = Balancer.builder()
                .listen("127.0.0.1:0")
                .backend("127.0.0.1:" + backend.port())
                .drainTimeout(Duration.ofSeconds(20)) // open connections get up to 20 s to finish
                .build();
        lb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            long start = System.nanoTime();
            System.out.println("draining");
            lb.close();                        // stop accepting, wait for open connections, close
            backend.kill();
            System.out.println("closed after " + (System.nanoTime() - start) / 1_000_000 + " ms");
        }, "lb4j-shutdown"));
        System.out.println("listening on " + lb.addresses().get(0).getPort());
        new CountDownLatch(1).await();        // the application's work; here: wait for a signal
    }

    /**
     * Starts {@link #serve()} in a child JVM, chats, sends SIGTERM, chats on during the drain.
     *
     * @return the story, one line per step (the child's lines start with {@code child:})
     * @throws Exception when the child misbehaves or a step times out
     */
    public static List<String> run() throws Exception {
        List<String> story = new ArrayList<>();
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), ShutdownHookExample.class.getName(), "--serve")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            BlockingQueue<String> childLines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        childLines.add(line);
                    }
                } catch (IOException ignored) {
                    // the child is gone
                }
            }, "child-stdout");
            reader.setDaemon(true);
            reader.start();

            String ready = expect(childLines, "listening on ");
            story.add("child: " + ready);
            URI uri = URI.create("ws://127.0.0.1:" + ready.substring("listening on ".length()) + "/chat");
            BlockingQueue<String> replies = new LinkedBlockingQueue<>();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(uri, new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            replies.add(data.toString());
                            webSocket.request(1);
                            return null;
                        }
                    }).get(5, TimeUnit.SECONDS);
            ws.sendText("before the signal", true).get(5, TimeUnit.SECONDS);
            story.add("reply: " + poll(replies));

            child.toHandle().destroy(); // SIGTERM on Unix-like systems (Process.destroy would also close our pipes)
            story.add("sent SIGTERM");
            story.add("child: " + expect(childLines, "draining"));
            ws.sendText("during the drain", true).get(5, TimeUnit.SECONDS);
            story.add("reply: " + poll(replies));
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
            story.add("client closed its connection");
            story.add("child: " + expect(childLines, "closed after "));
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("child did not exit within 10 s of its drain");
            }
            story.add("child exited");
            return story;
        } finally {
            child.destroyForcibly();
        }
    }

    private static String expect(BlockingQueue<String> lines, String prefix) throws InterruptedException {
        String line = lines.poll(15, TimeUnit.SECONDS);
        if (line == null || !line.startsWith(prefix)) {
            throw new IllegalStateException("child: expected '" + prefix + "...', got " + line);
        }
        return line;
    }

    private static String poll(BlockingQueue<String> replies) throws InterruptedException {
        String reply = replies.poll(5, TimeUnit.SECONDS);
        if (reply == null) {
            throw new IllegalStateException("no reply within 5 s");
        }
        return reply;
    }

    /** This class's and lb4j's locations: works under Maven's exec:java, Surefire and plain java. */
    private static String classPath() throws URISyntaxException {
        return Path.of(ShutdownHookExample.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + File.pathSeparator
                + Path.of(Balancer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
