package io.lb4j.internal.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * SIGTERM and SIGINT handling through {@code sun.misc.Signal}, which lets the runner drain on the
 * first signal and close at once on the second (shutdown hooks cannot: the JVM is already exiting),
 * and SIGUSR2 for a hand-over. Reached reflectively, so the build has no warning about internal API;
 * absent {@code jdk.unsupported}, the caller falls back to a shutdown hook.
 */
final class Signals {
    private Signals() {
    }

    /** Calls {@code handler} on each SIGTERM and SIGINT; false when signals cannot be handled here. */
    static boolean install(Runnable handler) {
        boolean term = install("TERM", handler);
        // SIGINT may stay with the JVM: it is ignored in a background job of a script
        boolean interrupt = install("INT", handler);
        return term || interrupt;
    }

    /** Calls {@code handler} on each signal {@code name} (such as "USR2"); false when it cannot be handled. */
    static boolean install(String name, Runnable handler) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object proxy = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (p, method, args) -> {
                        if (method.getName().equals("handle")) {
                            handler.run();
                        }
                        return null;
                    });
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            handle.invoke(null, signal, proxy);
            return true;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return false;
        }
    }
}
