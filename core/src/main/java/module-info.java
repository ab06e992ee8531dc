/**
 * lb4j: an embeddable Layer-4 (TCP) load balancer. Only {@code io.lb4j} is exported; the engine
 * under {@code io.lb4j.internal} is not API.
 */
module io.lb4j {
    // TCP keepalive's idle time, interval and count: required (not static), so that the module path
    // resolves it without flags and a jlink image made for lb4j includes it; else the kernel's 2 hours
    requires jdk.net;
    requires static java.management; // JMX MBeans; off when the runtime has not resolved the module
    requires static java.logging; // only to warm a log formatter of lb4j's own at start, when present
    requires static jdk.jfr; // Flight Recorder events, used only when the module is present
    requires static jdk.unsupported; // sun.misc.Signal for the CLI's second-signal handling
    exports io.lb4j;
}
