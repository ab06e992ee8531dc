package io.lb4j.internal.registry;

import java.io.IOException;

/**
 * A DNS message that does not follow RFC 1035's wire format: truncated, a bad label or pointer, a
 * record whose data does not fit its type. Checked, so that every caller of the decoder decides what
 * a malformed answer from the network means (here: a failed lookup).
 */
public final class DnsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** A malformed message, with what is wrong. */
    public DnsFormatException(String message) {
        super(message);
    }
}
