package io.lb4j.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The fault kinds a test provokes on purpose, which {@link FaultOracle} then allows: each value is a
 * prefix of a kind ({@code "where: ExceptionClass"}, as the balancer counts and logs it), such as
 * {@code "listener"} or {@code "event loop handler: UnsupportedOperationException"}. On a method it
 * adds to what its class declares.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface ExpectFaults {
    /** Prefixes of the fault kinds allowed. */
    String[] value();
}
