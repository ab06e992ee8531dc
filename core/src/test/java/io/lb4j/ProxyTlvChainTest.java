package io.lb4j;

import static io.lb4j.testing.ClientEnd.closedByPeer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.internal.proxy.ProxyHeader;
import io.lb4j.testing.Await;
import io.lb4j.testing.Cleanup;
import io.lb4j.testing.CountingEchoServer;
import io.lb4j.testing.EventRecorder;
import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * PROXY protocol v2 TLVs end to end: a client's header with a custom TLV, an Azure Private Link LINKID,
 * padding and a checksum goes through two balancers (v2 in, v2 out) to a real backend that parses it.
 */
@ExtendWith(FaultOracle.class)
class ProxyTlvChainTest {
    /** 123456789 as Azure writes it: subtype 0x01, then little-endian. */
    private static final long LINK_ID = 123_456_789L;
    private static final String LINK_ID_TLV = "ee0005" + "01" + "15cd5b07";
    private static final String CUSTOM_TLV = "e00008" + HexFormat.of().formatHex(ascii("tenant-7"));
    private static final String AUTHORITY_TLV = "02000b" + HexFormat.of().formatHex(ascii("svc.example"));

    @RegisterExtension
    final Cleanup cleanup = new Cleanup();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A v2 header from 203.0.113.9:40000 to 192.0.2.10:443 with {@code tlvsHex}, written by hand; a
     * CRC32C TLV ({@code 030004........}) in it gets the right checksum unless {@code badCrc}.
     */
    private static byte[] header(String tlvsHex, boolean badCrc) {
        byte[] tlvs = HexFormat.of().parseHex(tlvsHex);
        ByteBuffer b = ByteBuffer.allocate(16 + 12 + tlvs.length);
        b.put(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a")).put((byte) 0x21).put((byte) 0x11)
                .putShort((short) (12 + tlvs.length));
        b.put(new byte[] {(byte) 203, 0, 113, 9}).put(new byte[] {(byte) 192, 0, 2, 10})
                .putShort((short) 40000).putShort((short) 443).put(tlvs);
        int crcAt = tlvsHex.indexOf("030004");
        if (crcAt >= 0) {
            CRC32C crc = new CRC32C();
            crc.update(b.array());
            b.putInt(28 + crcAt / 2 + 3, (int) crc.getValue() ^ (badCrc ? 1 : 0));
        }
        return b.array();
    }

    private Balancer start(String backend, BalancerListener listener) {
        Balancer lb = Balancer.builder().listen("127.0.0.1:0").backend(backend).probe(null).eventLoops(2)
                .drainTimeout(Duration.ZERO).acceptProxyProtocol(true).proxyProtocol(ProxyProtocol.V2)
                .listener(listener).build();
        cleanup.track(lb::closeNow);
        lb.start();
        return lb;
    }

    private Socket connect(Balancer lb) throws IOException {
        return cleanup.connect(lb, Duration.ofSeconds(10));
    }

    @Test
    void shouldCarryACustomTlvAndALinkIdThroughTwoBalancersToTheBackend() throws Exception {
        CountingEchoServer backend = cleanup.track(CountingEchoServer.start(true));
        EventRecorder innerEvents = new EventRecorder();
        Balancer inner = start(backend.hostPort(), innerEvents);
        EventRecorder outerEvents = new EventRecorder();
        Balancer outer = start("127.0.0.1:" + inner.addresses().get(0).getPort(), outerEvents);

        Socket client = connect(outer);
        String sent = "040003" + "000000" + CUSTOM_TLV + "030004" + "00000000" + LINK_ID_TLV + AUTHORITY_TLV;
        client.getOutputStream().write(header(sent, false));
        client.getOutputStream().write(ascii("ping"));
        assertArrayEquals(ascii("ping"), client.getInputStream().readNBytes(4));

        // the backend parsed (and checksum-checked) a header carrying the TLVs in their order, NOOP gone
        ProxyHeader seen = backend.headers.poll(10, TimeUnit.SECONDS);
        assertNotNull(seen);
        assertEquals(new InetSocketAddress(InetAddress.getByName("203.0.113.9"), 40000), seen.source());
        assertEquals(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 443), seen.destination());
        String area = HexFormat.of().formatHex(seen.tlvs().toWire());
        String crc = area.substring(CUSTOM_TLV.length() + 6, CUSTOM_TLV.length() + 14);
        assertEquals(CUSTOM_TLV + "030004" + crc + LINK_ID_TLV + AUTHORITY_TLV, area);
        assertEquals(OptionalLong.of(LINK_ID), seen.tlvs().azureLinkId());

        // each balancer shows what it received to host code: handles and events
        List<Connection> atOuter = outer.connections();
        assertEquals(1, atOuter.size());
        assertEquals(sent.substring(0, 12) + CUSTOM_TLV,
                HexFormat.of().formatHex(atOuter.get(0).proxyTlvs().toWire()).substring(0, 12 + CUSTOM_TLV.length()),
                "the outer one keeps the NOOP it received");
        assertEquals(OptionalLong.of(LINK_ID), atOuter.get(0).proxyTlvs().azureLinkId());
        List<Connection> atInner = inner.connections();
        assertEquals(1, atInner.size());
        assertEquals(OptionalLong.of(LINK_ID), atInner.get(0).proxyTlvs().azureLinkId());
        assertArrayEquals(ascii("tenant-7"), atInner.get(0).proxyTlvs().first(0xe0));
        ConnectionEvent opened = innerEvents.opened.poll(10, TimeUnit.SECONDS);
        assertNotNull(opened);
        assertEquals(OptionalLong.of(LINK_ID), opened.proxyTlvs().azureLinkId());
        assertEquals(seen.tlvs(), opened.proxyTlvs(), "inner received what outer sent");

        client.close();
        ConnectionEvent closed = innerEvents.closed.poll(10, TimeUnit.SECONDS);
        assertNotNull(closed);
        assertEquals(OptionalLong.of(LINK_ID), closed.proxyTlvs().azureLinkId());
        ConnectionEvent outerClosed = outerEvents.closed.poll(10, TimeUnit.SECONDS);
        assertNotNull(outerClosed);
        assertEquals(5, outerClosed.proxyTlvs().size());
        assertEquals(0, outer.stats().rejectedConnections());
        assertEquals(0, inner.stats().rejectedConnections());
    }

    @Test
    void shouldCloseAndCountAClientWhoseChecksumIsWrongAndRelayOneWhoseChecksumIsRight() throws Exception {
        CountingEchoServer backend = cleanup.track(CountingEchoServer.start(true));
        EventRecorder events = new EventRecorder();
        Balancer lb = start(backend.hostPort(), events);

        Socket bad = connect(lb);
        bad.getOutputStream().write(header(CUSTOM_TLV + "030004" + "00000000", true));
        bad.getOutputStream().write(ascii("x"));
        assertTrue(closedByPeer(bad), "closed for its checksum");
        ConnectionEvent rejected = events.rejected.poll(10, TimeUnit.SECONDS);
        assertNotNull(rejected);
        assertEquals("bad proxy header: v2: CRC32C mismatch", rejected.reason());
        Await.until("1 rejected", () -> lb.stats().rejectedConnections() == 1, Duration.ofSeconds(10));

        Socket good = connect(lb);
        good.getOutputStream().write(header(CUSTOM_TLV + "030004" + "00000000", false));
        good.getOutputStream().write(ascii("y"));
        assertArrayEquals(ascii("y"), good.getInputStream().readNBytes(1));
        ProxyHeader seen = backend.headers.poll(10, TimeUnit.SECONDS);
        assertNotNull(seen);
        assertEquals(2, seen.tlvs().size(), "custom TLV and a recomputed CRC32C, checked by the backend's parser");
        assertEquals(1, backend.accepted.get(), "the bad client never reached the backend");
        assertEquals(1, lb.stats().rejectedConnections());
    }

    @Test
    void shouldSendTheAddressWithoutTlvsWhenTheyDoNotFitBesideIt() throws Exception {
        CountingEchoServer backend = cleanup.track(CountingEchoServer.start(true));
        Balancer lb = start(backend.hostPort(), new EventRecorder());
        Socket client = connect(lb);
        // PROXY command, UNSPEC family (the peer's own address stands), 1,020 bytes of TLV: 1,036 bytes in
        // all, within the bound; with the peer's 12 bytes of IPv4 addresses it would be 1,048
        ByteBuffer b = ByteBuffer.allocate(16 + 1020);
        b.put(HexFormat.of().parseHex("0d0a0d0a000d0a515549540a")).put((byte) 0x21).put((byte) 0x00)
                .putShort((short) 1020).put((byte) 0xe0).putShort((short) 1017);
        client.getOutputStream().write(b.array());
        client.getOutputStream().write(ascii("z"));
        assertArrayEquals(ascii("z"), client.getInputStream().readNBytes(1));
        ProxyHeader seen = backend.headers.poll(10, TimeUnit.SECONDS);
        assertNotNull(seen);
        assertEquals(client.getLocalSocketAddress(), seen.source());
        assertTrue(seen.tlvs().isEmpty(), seen.tlvs().toString());
        assertEquals(1017, lb.connections().get(0).proxyTlvs().length(0), "kept for host code all the same");
    }
}
