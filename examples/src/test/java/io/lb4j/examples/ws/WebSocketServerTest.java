package io.lb4j.examples.ws;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The demo's WebSocket server against hand-written frames on a real socket (RFC 6455). */
@ExtendWith(FaultOracle.class)
class WebSocketServerTest {
    private static final byte[] MASK = {0x11, 0x22, 0x33, 0x44};
    private WebSocketServer server;
    private Socket socket;
    private DataInputStream in;
    private OutputStream out;

    @BeforeEach
    void start() throws IOException {
        server = new WebSocketServer("b1", "/chat").start();
        socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
        socket.setSoTimeout(5000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    @AfterEach
    void stop() throws IOException {
        socket.close();
        server.kill();
    }

    @Test
    void shouldComputeTheAcceptKeyOfTheRfcExample() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketServer.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    @Test
    void shouldAnswerTheHandshakeWith101AndTheAcceptKey() throws IOException {
        String head = handshake("/chat");
        assertTrue(head.startsWith("HTTP/1.1 101 "), head);
        assertTrue(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), head);
    }

    @Test
    void shouldRefuseAnotherPathWith404() throws IOException {
        assertTrue(handshake("/other").startsWith("HTTP/1.1 404 "));
    }

    @Test
    void shouldEchoAFragmentedMaskedTextTaggedWithItsName() throws IOException {
        handshake("/chat");
        frame(false, 0x1, "hel");
        frame(true, 0x9, "ping!"); // a control frame between fragments is allowed (5.4)
        frame(true, 0x0, "lo");
        assertFrame(0xA, "ping!");
        assertFrame(0x1, "b1: hello");
        assertEquals(1, server.messages());
    }

    @Test
    void shouldCloseWith1002WhenAClientFrameIsNotMasked() throws IOException {
        handshake("/chat");
        out.write(new byte[] {(byte) 0x81, 0x01, 'x'});
        byte[] payload = readFrame(0x8);
        assertEquals(1002, ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF));
        assertEquals(-1, in.read()); // and the TCP connection is closed
    }

    @Test
    void shouldAnswerACloseWithTheSameStatus() throws IOException {
        handshake("/chat");
        frame(true, 0x8, new byte[] {0x03, (byte) 0xE8}); // 1000
        assertArrayEquals(new byte[] {0x03, (byte) 0xE8}, readFrame(0x8));
        assertEquals(-1, in.read());
    }

    private String handshake(String path) throws IOException {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            head.write(in.readUnsignedByte());
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private void frame(boolean fin, int opcode, String text) throws IOException {
        frame(fin, opcode, text.getBytes(StandardCharsets.UTF_8));
    }

    private void frame(boolean fin, int opcode, byte[] payload) throws IOException {
        out.write((fin ? 0x80 : 0) | opcode);
        out.write(0x80 | payload.length);
        out.write(MASK);
        for (int i = 0; i < payload.length; i++) {
            out.write(payload[i] ^ MASK[i & 3]);
        }
        out.flush();
    }

    private void assertFrame(int opcode, String text) throws IOException {
        assertEquals(text, new String(readFrame(opcode), StandardCharsets.UTF_8));
    }

    private byte[] readFrame(int opcode) throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        assertEquals(0x80 | opcode, b0, "FIN and opcode");
        assertEquals(0, b1 & 0x80, "a server never masks");
        byte[] payload = new byte[b1 & 0x7F];
        in.readFully(payload);
        return payload;
    }
}
