package io.lb4j.internal.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * SIGTERM and SIGINT handling through {@code sun.misc.Signal}, which lets the runner drain on the
 * first signal and close at once on the second (shutdown hooks cannot: the JVM is already exiting).
 * Reached reflectively, so the build has no warning about internal API; absent {@code
 * jdk.unsupported}, the caller falls back to a shutdown hook.
 */
final class Signals {
    private Signals() {
    }

    /** Calls {@code handler} on each SIGTERM and SIGINT; false when signals cannot be handled here. */
    static boolean install(Runnable handler) {
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
            boolean any = false;
            for (String name : new String[] {"TERM", "INT"}) {
                try {
                    Object signal = signalClass.getConstructor(String.class).newInstance(name);
                    handle.invoke(null, signal, proxy);
                    any = true;
                } catch (ReflectiveOperationException | RuntimeException e) {
                    // this one stays with the JVM: SIGINT is ignored in a background job of a script
                }
            }
            return any;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return false;
        }
    }
}
