package io.lb4j.internal;

import java.util.Optional;

/**
 * Which of lb4j's optional JDK modules ({@code requires static} in {@code module-info.java}) this
 * runtime has resolved. On the class path every module of the image is there; on the module path
 * only those something requires or {@code --add-modules} names, and a jlink image may lack them: lb4j
 * then runs without the feature (JMX, Flight Recorder) instead of failing to start.
 */
public final class OptionalModules {
    private OptionalModules() {
    }

    /** Whether {@code name} is in the boot layer and lb4j's module reads it. */
    public static boolean readable(String name) {
        Optional<Module> module = ModuleLayer.boot().findModule(name);
        return module.isPresent() && OptionalModules.class.getModule().canRead(module.get());
    }
}
