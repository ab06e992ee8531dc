package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(FaultOracle.class)
class CidrTest {

    @Test
    void shouldRejectBadRangesNamingTheSetting() {
        for (String bad : new String[] {"", "10.0.0.0/33", "10.0.0.1/8", "10.0.0.0/", "10.0.0.0/08", "::1/129",
                "example.com", "10.0.0.0/-1", "1.2.3", "::ffff:10.0.0.0/80", "fe80::1%eth0", "10.0.0.0/8/8", "010.0.0.0/8", "256.0.0.0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("allow", bad),
                    bad);
            assertTrue(e.getMessage().startsWith("allow: '" + bad + "' (expected: "), e.getMessage());
        }
    }

    @Test
    void shouldMatchIpv4MappedRangesAsIpv4AndBareAddressesAsHosts() {
        Cidr mapped = Cidr.parse("deny", "::ffff:10.0.0.0/104");
        assertEquals(8, mapped.prefix());
        assertTrue(mapped.matches(new byte[] {10, 1, 2, 3}));
        Cidr host = Cidr.parse("deny", "2001:db8::1");
        assertEquals(128, host.prefix());
        byte[] one = new byte[16];
        one[0] = 0x20;
        one[1] = 0x01;
        one[2] = 0x0d;
        one[3] = (byte) 0xb8;
        one[15] = 1;
        assertTrue(host.matches(one));
        one[15] = 2;
        assertFalse(host.matches(one));
        assertTrue(Cidr.parse("allow", "0.0.0.0/0").matches(new byte[] {1, 2, 3, 4}));
        assertFalse(Cidr.parse("allow", "0.0.0.0/0").matches(one));
    }
}
