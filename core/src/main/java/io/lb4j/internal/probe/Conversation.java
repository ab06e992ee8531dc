package io.lb4j.internal.probe;

import io.lb4j.ProbeResult;

/**
 * What one HTTP probe says and how it judges the answer (the HTTP and WebSocket-handshake probes),
 * apart from how the bytes travel: {@link HttpExchange} in clear, {@link TlsExchange} inside TLS.
 */
interface Conversation {
    /** The most of a response a probe reads; a longer head is a failure. */
    int MAX_HEAD_BYTES = 8192;

    /** The request bytes, head only. */
    byte[] request();

    /** The verdict on a well-formed response head. */
    ProbeResult judge(HttpHead head);

    /** Bytes to send before closing after a verdict (a WebSocket close frame), or {@code null}. */
    default byte[] farewell(ProbeResult verdict) {
        return null;
    }

    /**
     * The verdict on the response bytes {@code head[0, length)}, or {@code null} while more are
     * needed: a failure when they are malformed, cut off ({@code ended}) or over
     * {@link #MAX_HEAD_BYTES} without ending the head, else {@link #judge}.
     */
    default ProbeResult verdict(byte[] head, int length, boolean ended) {
        HttpHead parsed = HttpHead.parse(head, Math.min(length, MAX_HEAD_BYTES), ended);
        if (parsed == null) {
            return length >= MAX_HEAD_BYTES ? ProbeResult.failed("response head over " + MAX_HEAD_BYTES + " bytes")
                    : null;
        }
        return parsed.error() != null ? ProbeResult.failed(parsed.error()) : judge(parsed);
    }
}
