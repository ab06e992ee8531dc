/**
 * lb4j: an embeddable Layer-4 (TCP) load balancer. Only {@code io.lb4j} is exported; the engine
 * under {@code io.lb4j.internal} is not API.
 */
module io.lb4j {
    requires static jdk.unsupported; // sun.misc.Signal for the CLI's second-signal handling
    requires static jdk.net; // TCP keepalive tuning where the platform has it
    requires static jdk.jfr; // Flight Recorder events, used only when the module is present
    requires java.management; // JMX MBeans
    requires java.logging; // only to load the log handlers at start, not when descriptors run out
    exports io.lb4j;
}
