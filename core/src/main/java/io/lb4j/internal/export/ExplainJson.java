package io.lb4j.internal.export;

import io.lb4j.Explanation;
import io.lb4j.internal.AddressText;
import io.lb4j.internal.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /explain?client=IP:PORT}: the query parsed (an IP literal only, so asking never waits on
 * DNS) and an {@link Explanation} rendered as the JSON the CLI contract fixes:
 * {@code {"client":"IP:PORT","policy":"NAME","candidates":[{"backend":"HOST:PORT","used":true,
 * "reason":null,"detail":null}, ...]}}.
 */
public final class ExplainJson {
    private ExplainJson() {
    }

    /**
     * The client address of a query string such as {@code client=10.0.0.1:5000} or
     * {@code client=%5B::1%5D:5000}.
     *
     * @throws IllegalArgumentException naming {@code client} when it is missing or not {@code IP:PORT}
     */
    public static InetSocketAddress client(String query) {
        String value = null;
        for (String part : query.split("&")) {
            if (part.startsWith("client=")) {
                value = URLDecoder.decode(part.substring(7), StandardCharsets.UTF_8);
            }
        }
        if (value == null) {
            throw new IllegalArgumentException("client: missing (expected: /explain?client=IP:PORT)");
        }
        InetSocketAddress parsed = AddressText.parse("client", value);
        Cidr.parse("client", parsed.getHostString()); // an IP literal, never a name to resolve
        try {
            return new InetSocketAddress(InetAddress.getByName(parsed.getHostString()), parsed.getPort());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("client: '" + value + "' (expected: IP:PORT)", e);
        }
    }

    /** The explanation as one JSON object. */
    public static String render(Explanation explanation) {
        StringBuilder out = new StringBuilder(128 + 128 * explanation.candidates().size());
        out.append("{\"client\":");
        StatsJson.string(out, AddressText.format(explanation.client()));
        out.append(",\"policy\":");
        StatsJson.string(out, explanation.policy());
        out.append(",\"candidates\":[");
        String comma = "";
        for (Explanation.Choice c : explanation.candidates()) {
            out.append(comma).append("{\"backend\":");
            StatsJson.string(out, c.backend().name());
            out.append(",\"used\":").append(c.used()).append(",\"reason\":");
            StatsJson.string(out, c.reason());
            out.append(",\"detail\":");
            StatsJson.string(out, c.detail());
            out.append('}');
            comma = ",";
        }
        return out.append("]}").toString();
    }
}
