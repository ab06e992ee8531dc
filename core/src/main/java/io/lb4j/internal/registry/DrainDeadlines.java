package io.lb4j.internal.registry;

import java.time.Duration;

/**
 * A registry that can also say over how long a backend in admin state {@code DRAIN} has its open
 * connections closed (a backends file's {@code state=drain deadline=D}, the admin API's paced drain).
 * The engine asks after applying each snapshot, so a registry updates its answers before it pushes.
 */
public interface DrainDeadlines {
    /**
     * The drain deadline of one backend.
     *
     * @param name the backend's {@code HOST:PORT}
     * @return the window over which its connections are closed, none left after it; {@code null} when
     *     its drain only stops new connections
     */
    Duration drainDeadline(String name);
}
