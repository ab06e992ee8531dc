package io.lb4j.internal.engine;

import io.lb4j.Balancer;
import java.util.function.Function;

/**
 * The way from a {@link Balancer} to its {@link Engine} for the parts of this module that run it
 * (the CLI's admin API), without a public accessor: {@code Balancer} installs the function when its
 * class is initialised (the JDK's {@code SharedSecrets} pattern). Not exported.
 */
public final class EngineAccess {
    private static volatile Function<Balancer, Engine> access;

    private EngineAccess() {
    }

    /** Called once, by {@code Balancer}'s static initialiser. */
    public static void install(Function<Balancer, Engine> function) {
        if (access == null) {
            access = function;
        }
    }

    /** The engine behind {@code balancer}. */
    public static Engine engine(Balancer balancer) {
        return access.apply(balancer);
    }
}
