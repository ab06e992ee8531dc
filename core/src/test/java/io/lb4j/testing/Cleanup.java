package io.lb4j.testing;

import io.lb4j.Balancer;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test opens, closed after it, the last opened first: register it on an instance field with
 * {@code @RegisterExtension final Cleanup cleanup = new Cleanup();} and hand it each server, balancer
 * and socket as it is made. It runs after the class's {@code @AfterEach} methods and, being registered
 * after the class-level {@link FaultOracle}, before the oracle looks for what was left behind.
 */
public final class Cleanup implements AfterEachCallback {
    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Closes {@code resource} after the test; returns it. */
    public <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    /** Builds and starts a balancer, closed after the test ({@link Balancer#close()}, with its drain). */
    public Balancer start(Balancer.Builder builder) {
        Balancer lb = track(builder.build());
        lb.start();
        return lb;
    }

    /**
     * A client connected to the balancer's first listener (within 5 s), its reads bounded by
     * {@code readTimeout}, closed after the test.
     */
    public Socket connect(Balancer lb, Duration readTimeout) throws IOException {
        Socket s = track(new Socket());
        s.connect(lb.addresses().get(0), 5_000);
        s.setSoTimeout((int) readTimeout.toMillis());
        return s;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Exception first = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        resources.clear();
        if (first != null) {
            throw first;
        }
    }
}
