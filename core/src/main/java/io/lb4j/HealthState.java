package io.lb4j;

/** What the balancer believes of a backend's health, from its probes and passive checks. */
public enum HealthState {
    /** Not probed yet: takes no connections until its first probe passes. */
    UNKNOWN,
    /** Passed its probes: takes connections while its admin state is up. */
    UP,
    /** Failed its probes (or passive checks): takes no new connections. */
    DOWN
}
