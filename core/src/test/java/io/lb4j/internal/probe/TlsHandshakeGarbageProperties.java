package io.lb4j.internal.probe;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.HealthProbe;
import io.lb4j.ProbeResult;
import io.lb4j.ProbeTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever a server sends in answer to the ClientHello, the TLS probes fail with a {@code tls:}
 * reason: never an exception out of the event loop, never a fault counted, never a socket left
 * registered. Answers range from random bytes to well-formed record headers around random handshake,
 * alert and application-data bodies, so the JDK's {@code SSLEngine} parses into them.
 */
class TlsHandshakeGarbageProperties {
    private static ProbeRunner runner;
    private static GarbageServer server;
    private static HealthProbe probe;

    @BeforeContainer
    static void start() throws IOException {
        runner = new ProbeRunner();
        server = new GarbageServer();
        probe = HealthProbe.https("/", ProbeTls.builder().insecureTrustAnyCertificate(true).build());
    }

    @AfterContainer
    static void stop() throws IOException {
        server.close();
        runner.close();
    }

    @Property(tries = 150)
    void anyAnswerToTheClientHelloIsAFailedProbeAndNoFault(@ForAll("answers") byte[] answer) throws Exception {
        server.answer.set(answer);
        ProbeResult result = runner.check(probe, server.address());
        assertFalse(result.healthy(), "garbage passed as a TLS server");
        assertTrue(result.reason().startsWith("tls: "), result.reason());
        runner.assertNoFaultAndNoSocketLeft("the probe socket released");
    }

    @Provide
    Arbitrary<byte[]> answers() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(400);
        Arbitrary<byte[]> records = Combinators.combine(
                Arbitraries.of((byte) 20, (byte) 21, (byte) 22, (byte) 23, (byte) 24),
                Arbitraries.of((short) 0x0301, (short) 0x0303, (short) 0x0304, (short) 0x0200),
                Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(600),
                Arbitraries.integers().between(-3, 3),
                Arbitraries.integers().between(1, 3))
                .as((type, version, body, lengthSkew, count) -> {
                    ByteBuffer out = ByteBuffer.allocate(count * (5 + body.length));
                    for (int i = 0; i < count; i++) {
                        out.put(type).putShort(version).putShort((short) Math.max(0, body.length + lengthSkew)).put(body);
                    }
                    return java.util.Arrays.copyOf(out.array(), out.position());
                });
        // a ServerHello-shaped handshake message: type 2, a length, then random fields
        Arbitrary<byte[]> serverHellos = Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(300)
                .map(fields -> {
                    ByteBuffer out = ByteBuffer.allocate(9 + fields.length);
                    out.put((byte) 22).putShort((short) 0x0303).putShort((short) (4 + fields.length))
                            .put((byte) 2).put((byte) 0).putShort((short) fields.length).put(fields);
                    return out.array();
                });
        return Arbitraries.oneOf(random, records, serverHellos);
    }

    /** Reads the ClientHello, answers with the current bytes, ends its output, waits for the probe to close. */
    private static final class GarbageServer implements AutoCloseable {
        final AtomicReference<byte[]> answer = new AtomicReference<>(new byte[0]);
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Thread thread = new Thread(this::serve, "tls-garbage-server");

        GarbageServer() throws IOException {
            thread.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    s.setSoTimeout(5_000);
                    InputStream in = s.getInputStream();
                    in.read(new byte[16384]);
                    OutputStream out = s.getOutputStream();
                    out.write(answer.get());
                    out.flush();
                    s.shutdownOutput();
                    byte[] drain = new byte[4096];
                    while (in.read(drain) >= 0) {
                        // whatever the probe sends (an alert) until it closes
                    }
                } catch (SocketTimeoutException e) {
                    // the probe did not close: the property fails on its own assertions
                } catch (IOException e) {
                    // closed by the probe with a reset, or by close()
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
