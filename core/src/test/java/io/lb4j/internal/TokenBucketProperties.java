package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class TokenBucketProperties {

    /** Any sequence of attempts: the tokens taken in any window of W ns are at most burst + W * rate. */
    @Property(tries = 300)
    void shouldNeverGiveMoreThanBurstPlusRateInAnyWindow(@ForAll @IntRange(min = 1, max = 1000) int rate,
                                                         @ForAll @IntRange(min = 1, max = 50) int burst,
                                                         @ForAll @Size(min = 1, max = 400) List<@IntRange(min = 0, max = 20_000_000) Integer> gapsNs,
                                                         @ForAll boolean giveBackSome) {
        long now = 1_000_000L;
        TokenBucket bucket = new TokenBucket(rate, burst, now);
        List<Long> taken = new ArrayList<>();
        int i = 0;
        for (int gap : gapsNs) {
            now += gap;
            if (bucket.tryTake(now)) {
                if (giveBackSome && i++ % 3 == 0) {
                    bucket.giveBack();
                } else {
                    taken.add(now);
                }
            } else {
                assertTrue(bucket.nextTokenNs() - now > 0, "an empty bucket names a later time for its next token");
            }
        }
        long intervalNs = 1_000_000_000L / rate;
        for (int s = 0; s < taken.size(); s++) {
            for (int e = s; e < taken.size(); e++) {
                long window = taken.get(e) - taken.get(s);
                assertTrue(e - s + 1 <= burst + window / intervalNs + 1,
                        (e - s + 1) + " taken in " + window + " ns, rate " + rate + " burst " + burst);
            }
        }
    }

    @Property(tries = 100)
    void shouldGiveExactlyTheBurstAtOnceAndOneMorePerInterval(@ForAll @IntRange(min = 1, max = 1000) int rate,
                                                              @ForAll @IntRange(min = 1, max = 100) int burst) {
        long now = 5_000L;
        TokenBucket bucket = new TokenBucket(rate, burst, now);
        int n = 0;
        while (bucket.tryTake(now) && n <= burst) {
            n++;
        }
        assertEquals(burst, n);
        long next = bucket.nextTokenNs();
        assertTrue(!bucket.tryTake(next - 1) && bucket.tryTake(next), "the next token comes when announced");
    }

    /** The look without taking ({@code explain}'s connect-rate check) answers as a take would, at any moment. */
    @Property(tries = 200)
    void shouldSayWhetherATakeWouldSucceedWithoutTakingOne(@ForAll @IntRange(min = 1, max = 1000) int rate,
                                                          @ForAll @IntRange(min = 1, max = 20) int burst,
                                                          @ForAll @Size(min = 1, max = 200) List<@IntRange(min = 0, max = 5_000_000) Integer> gapsNs) {
        long now = 7_000L;
        TokenBucket bucket = new TokenBucket(rate, burst, now);
        for (int gap : gapsNs) {
            now += gap;
            boolean before = bucket.hasToken(now);
            assertEquals(before, bucket.hasToken(now), "looking takes nothing");
            assertEquals(before, bucket.tryTake(now), "a look at " + now + " ns answers as the take after it");
        }
    }
}
