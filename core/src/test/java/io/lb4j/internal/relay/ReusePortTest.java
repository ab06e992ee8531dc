package io.lb4j.internal.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(FaultOracle.class)
class ReusePortTest {
    private static final String V4_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
            + "retrnsmt   uid  timeout inode";
    private static final String V6_HEADER = "  sl  local_address                         remote_address"
            + "                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

    private static String v4(String local, String state) {
        return "   0: " + local + " 00000000:0000 " + state + " 00000000:00000000 00:00000000 00000000     0        0 "
                + "267 1 000000002c579cce 100 0 0 10 0";
    }

    private static String v6(String local) {
        return "   0: " + local + " 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
                + "00000000     0        0 233019 1 00000000a33abd9b 100 0 0 10 0";
    }

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void shouldCountListenersOnTheSameAddressOrTheWildcardAsALittleEndianKernelPrintsThem() throws Exception {
        List<String> tcp = List.of(V4_HEADER,
                v4("0100007F:1F90", "0A"), // 127.0.0.1:8080
                v4("0100007F:1F90", "0A"),
                v4("0100007F:1F90", "01"), // an established connection on that port: not a listener
                v4("0200007F:1F90", "0A"), // 127.0.0.2:8080: another address
                v4("00000000:1F90", "0A"), // 0.0.0.0:8080 takes 127.0.0.1 too
                v4("0100007F:1F91", "0A")); // another port
        List<String> tcp6 = List.of(V6_HEADER,
                v6("0000000000000000FFFF00000100007F:1F90"), // ::ffff:127.0.0.1
                v6("00000000000000000000000000000000:1F90"), // ::
                v6("00000000000000000000000001000000:1F90")); // ::1
        ByteOrder little = ByteOrder.LITTLE_ENDIAN;
        assertEquals(5, ReusePort.listeners(at("127.0.0.1", 8080), tcp, tcp6, little));
        assertEquals(3, ReusePort.listeners(at("127.0.0.2", 8080), tcp, tcp6, little));
        assertEquals(6, ReusePort.listeners(at("0.0.0.0", 8080), tcp, tcp6, little));
        assertEquals(2, ReusePort.listeners(at("::1", 8080), tcp, tcp6, little));
        assertEquals(3, ReusePort.listeners(at("::", 8080), tcp, tcp6, little));
        assertEquals(1, ReusePort.listeners(at("127.0.0.1", 8081), tcp, tcp6, little));
        assertEquals(0, ReusePort.listeners(at("127.0.0.1", 9), tcp, tcp6, little));
        // a big-endian kernel prints the same address in network order
        assertEquals(1, ReusePort.listeners(at("127.0.0.1", 8080), List.of(v4("7F000001:1F90", "0A")), List.of(),
                ByteOrder.BIG_ENDIAN));
    }

    @Test
    void shouldSeeTheListenersOfThisProcessInProc() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel first = ServerSocketChannel.open(); ServerSocketChannel second = ServerSocketChannel.open()) {
            first.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            first.bind(new InetSocketAddress(loopback, 0));
            InetSocketAddress address = (InetSocketAddress) first.getLocalAddress();
            int one = ReusePort.listeners(address);
            if (one < 0) {
                return; // no /proc/net/tcp here: nothing to compare with
            }
            assertEquals(1, one);
            second.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            second.bind(address);
            assertEquals(2, ReusePort.listeners(address));
        }
        try (ServerSocket plain = new ServerSocket(0, 1, loopback)) {
            assertTrue(ReusePort.listeners(new InetSocketAddress(loopback, plain.getLocalPort())) != 0);
        }
    }

    @Test
    void shouldReadTheMigrateSettingAndSayWhatItMeans(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tcp_migrate_req");
        Files.writeString(file, "1\n");
        assertEquals(1, ReusePort.migrateReq(file));
        Files.writeString(file, "0\n");
        assertEquals(0, ReusePort.migrateReq(file));
        assertEquals(-1, ReusePort.migrateReq(dir.resolve("missing")));
        for (int setting : new int[] {1, 0, -1}) {
            String line = ReusePort.migrateReqLine(setting);
            assertTrue(line.startsWith("reuse-port: net.ipv4.tcp_migrate_req") && !line.contains("\n"), line);
        }
        assertTrue(ReusePort.migrateReqLine(1).contains("no client is reset"));
        assertTrue(ReusePort.migrateReqLine(0).contains("set it to 1"));
    }
}
