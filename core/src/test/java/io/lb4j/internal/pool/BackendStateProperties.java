package io.lb4j.internal.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.Backend;
import io.lb4j.HealthState;
import io.lb4j.internal.TokenBucket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The skip rule of {@link BackendState}: the look ({@link BackendState#skip()}, what {@code explain}
 * reports) and the takes (the relay's connect, the wait queue's grant) give the same answer in any
 * state, the first reason in {@link Skip}'s order, and hold a slot exactly when they answer none.
 */
class BackendStateProperties {

    private static final InetSocketAddress ADDRESS = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9000);

    /** The rule as the documentation states it, one check after the other. */
    private static Skip expected(boolean removed, Backend.AdminState admin, boolean draining, HealthState health,
                                 boolean panic, boolean resolved, int max, int active, boolean rateSpent) {
        if (removed) {
            return Skip.REMOVED;
        }
        if (admin == Backend.AdminState.DOWN) {
            return Skip.ADMIN_DOWN;
        }
        if (admin == Backend.AdminState.DRAIN || draining) {
            return Skip.DRAINING;
        }
        if (health != HealthState.UP && !panic) {
            return Skip.UNHEALTHY;
        }
        if (!resolved) {
            return Skip.UNRESOLVED;
        }
        if (max > 0 && active >= max) {
            return Skip.CONNECTION_LIMIT;
        }
        return rateSpent ? Skip.CONNECT_RATE : null;
    }

    @Property(tries = 2000)
    void shouldLookAndTakeAlikeInTheRuleOrderHoldingASlotOnlyWhenNothingSkips(
            @ForAll boolean removed, @ForAll Backend.AdminState admin, @ForAll boolean draining,
            @ForAll HealthState health, @ForAll boolean panicMode, @ForAll boolean resolved,
            @ForAll @IntRange(min = 0, max = 3) int max, @ForAll @IntRange(min = 0, max = 4) int active,
            @ForAll boolean rated, @ForAll boolean rateSpent, @ForAll boolean quietly) {
        int held = resolved ? active : 0; // slots can only be taken on a resolved backend
        boolean spent = rated && rateSpent;
        AtomicBoolean panic = new AtomicBoolean();
        BackendState state = new BackendState(Backend.parse("127.0.0.1:9000"), resolved ? ADDRESS : null, 1, 0,
                HealthState.UP, false, panic);
        AtomicInteger told = new AtomicInteger();
        state.slotFreed(freed -> told.incrementAndGet());
        for (int i = 0; i < held; i++) {
            assertEquals(null, state.take(), "filling the slots");
        }
        if (rated) {
            // one token a second, spent now when asked: the next comes long after this property's steps
            TokenBucket bucket = new TokenBucket(1, 1, System.nanoTime());
            if (spent) {
                bucket.tryTake(System.nanoTime());
            }
            state.connectRate(bucket);
        }
        state.backend(Backend.parse("127.0.0.1:9000").withMaxConnections(max).withAdminState(admin));
        state.health(health, "test");
        if (draining) {
            state.drain();
        }
        if (removed) {
            state.markRemoved();
        }
        panic.set(panicMode);
        told.set(0);

        Skip want = expected(removed, admin, draining, health, panicMode, resolved, max, held, spent);
        Skip looked = state.skip();
        assertEquals(want, looked, "the look");
        assertEquals(held, state.activeConnections(), "looking takes no slot");
        assertEquals(want == null || !want.unusable(), state.usable(), "usable: the policy's part of the rule");

        Skip taken = quietly ? state.takeQuietly() : state.take();
        assertEquals(looked, taken, "the take answers as the look did");
        assertEquals(held + (taken == null ? 1 : 0), state.activeConnections(), "a slot is held only when nothing skips");
        assertEquals(taken == Skip.CONNECT_RATE && !quietly ? 1 : 0, told.get(),
                "a slot given back for a spent rate is announced by take(), not by takeQuietly()");
    }
}
