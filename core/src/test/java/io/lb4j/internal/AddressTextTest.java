package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.testing.FaultOracle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class AddressTextTest {

    private static String format(String ip, int port) throws Exception {
        return AddressText.format(new InetSocketAddress(InetAddress.getByName(ip), port));
    }

    @Test
    void shouldFormatAddressesAsTheCliPrintsThem() throws Exception {
        assertEquals("127.0.0.1:80", format("127.0.0.1", 80));
        assertEquals("[::1]:8080", format("::1", 8080));
        assertEquals("[::]:1", format("::", 1));
        assertEquals("[2001:db8::1]:443", format("2001:0db8:0:0:0:0:0:1", 443));
        assertEquals("[2001:db8:0:1:1:1:1:1]:1", format("2001:db8:0:1:1:1:1:1", 1), "a single zero group stays");
        assertEquals("[2001:0:0:1::1]:2", format("2001:0:0:1:0:0:0:1", 2), "the longest run is compressed");
        assertEquals("[2001:db8::1:0:0:1]:3", format("2001:db8:0:0:1:0:0:1", 3), "the first of equal runs");
        assertEquals("[fe80::abcd]:4", format("fe80:0:0:0:0:0:0:ABCD", 4));
    }
}
