package io.lb4j.internal.policy;

import io.lb4j.BalancingPolicy;

/** The contract for the locked step that smooth weighted round robin uses while weights ramp. */
class SmoothWeightedRoundRobinStepperProperties implements BalancingPolicyContract {

    @Override
    public BalancingPolicy policy() {
        return new SmoothWeightedRoundRobin(SlowStart.off(), 0);
    }
}
