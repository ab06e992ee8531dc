package io.lb4j.examples.ws;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One chatting client of the demo, on the JDK's {@link java.net.http.WebSocket}: sends numbered
 * messages one at a time, checks that each reply echoes exactly the message sent, and notes which
 * backend answered. When its connection dies it reconnects and sends the unanswered message again,
 * so its own sequence stays complete and in order; a reply that does not come while the connection
 * stays open counts as lost. After a number of messages it ends its session and starts a new one,
 * so the balancer sees a steady stream of new connections.
 */
public final class ChatClient implements Runnable {
    private static final String CLOSED = "\u0000closed";

    private final String id;
    private final HttpClient http;
    private final URI uri;
    private final long pauseMillis;
    private final int sessionMessages;
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong outOfOrder = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong sessions = new AtomicLong();
    private volatile String backend = "";
    private volatile boolean running = true;
    private volatile WebSocket socket;

    /**
     * A client; nothing happens until {@link #run()}.
     *
     * @param id names the client in its messages, e.g. {@code "c7"}
     * @param http the shared JDK client
     * @param uri the balancer's WebSocket address, e.g. {@code ws://127.0.0.1:8080/chat}
     * @param pauseMillis pause between messages
     * @param sessionMessages messages per session before a clean reconnect; 0 = one long session
     */
    public ChatClient(String id, HttpClient http, URI uri, long pauseMillis, int sessionMessages) {
        this.id = id;
        this.http = http;
        this.uri = uri;
        this.pauseMillis = pauseMillis;
        this.sessionMessages = sessionMessages;
    }

    @Override
    public void run() {
        long seq = 0;
        int inSession = 0;
        long backoff = 50;
        BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        while (running) {
            if (socket == null) {
                replies = new LinkedBlockingQueue<>(); // a late close of the old connection must not count here
                try {
                    socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(2))
                            .buildAsync(uri, new Listener(replies)).get(3, TimeUnit.SECONDS);
                    sessions.incrementAndGet();
                    inSession = 0;
                    backoff = 50;
                } catch (Exception e) {
                    backend = "";
                    pause(backoff);
                    backoff = Math.min(1000, backoff * 2);
                    continue;
                }
            }
            String text = id + " #" + seq;
            String reply;
            try {
                socket.sendText(text, true).get(2, TimeUnit.SECONDS);
                reply = replies.poll(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                reply = CLOSED; // the send failed: the connection is gone
            }
            if (reply == null || reply.equals(CLOSED)) {
                if (reply == null && running) {
                    lost.incrementAndGet(); // no answer on an open connection
                }
                socket.abort();
                socket = null;
                backend = "";
                if (running) {
                    reconnects.incrementAndGet();
                }
                continue; // the same seq again on the next connection
            }
            int colon = reply.indexOf(": ");
            if (colon < 0 || !reply.substring(colon + 2).equals(text)) {
                outOfOrder.incrementAndGet();
            } else {
                backend = reply.substring(0, colon);
                acknowledged.incrementAndGet();
                seq++;
            }
            if (sessionMessages > 0 && ++inSession >= sessionMessages) {
                endSession();
            }
            pause(pauseMillis);
        }
        endSession();
    }

    /** Asks {@link #run()} to end after the message in flight. */
    public void stop() {
        running = false;
    }

    /** @return this client's id */
    public String id() {
        return id;
    }

    /** @return the backend that answered last, "" while disconnected */
    public String backend() {
        return backend;
    }

    /** @return messages echoed correctly, in order */
    public long acknowledged() {
        return acknowledged.get();
    }

    /** @return replies that did not echo the message just sent (must stay 0) */
    public long outOfOrder() {
        return outOfOrder.get();
    }

    /** @return messages with no reply while the connection stayed open (must stay 0) */
    public long lost() {
        return lost.get();
    }

    /** @return reconnections after a connection died */
    public long reconnects() {
        return reconnects.get();
    }

    /** @return WebSocket sessions opened */
    public long sessions() {
        return sessions.get();
    }

    private void endSession() {
        WebSocket ws = socket;
        socket = null;
        if (ws != null) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(1, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // the peer may be gone already
            }
            ws.abort();
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // pacing between messages, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Collects whole text messages into the queue; a close or error puts the CLOSED marker. */
    private static final class Listener implements WebSocket.Listener {
        private final BlockingQueue<String> replies;
        private final StringBuilder partial = new StringBuilder();

        Listener(BlockingQueue<String> replies) {
            this.replies = replies;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                replies.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            replies.add(CLOSED);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            replies.add(CLOSED);
        }
    }
}
