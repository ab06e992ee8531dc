package io.lb4j.testing;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.lifecycle.AroundContainerHook;
import net.jqwik.api.lifecycle.ContainerLifecycleContext;

/**
 * {@link FaultOracle}'s checks around a jqwik container, for a properties class whose balancer lives
 * as long as the container: {@code @AddLifecycleHook(FaultOracleHook.class)}. A class of its own, so
 * that JUnit-only modules can use {@link FaultOracle} without jqwik.
 */
public final class FaultOracleHook implements AroundContainerHook {
    private FaultOracle.Baseline baseline;

    @Override
    public void beforeContainer(ContainerLifecycleContext context) {
        baseline = FaultOracle.Baseline.now();
    }

    @Override
    public void afterContainer(ContainerLifecycleContext context) {
        List<String> expected = new ArrayList<>();
        context.optionalContainerClass().ifPresent(c -> expected.addAll(FaultOracle.declared(c)));
        FaultOracle.verify(context.label(), baseline, expected);
    }

    @Override
    public int proximity() {
        return -100; // outside the class's own @BeforeContainer and @AfterContainer
    }
}
