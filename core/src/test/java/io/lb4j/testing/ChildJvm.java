package io.lb4j.testing;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM that runs a main class of this build: for tests that need a fresh JVM
 * or a real process (exit codes, signals, a JVM without an MBean server).
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** {@code java -cp <this test run's class path> mainClass args...}. */
    public static List<String> command(String mainClass, String... args) {
        return command(List.of(), mainClass, args);
    }

    /** {@code java jvmOptions... -cp <this test run's class path> mainClass args...}. */
    public static List<String> command(List<String> jvmOptions, String mainClass, String... args) {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        // surefire may run the tests on the module path: the child takes both paths as its class path
        String classPath = String.join(File.pathSeparator, System.getProperty("jdk.module.path", ""),
                System.getProperty("java.class.path", ""));
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /** A process builder for {@link #command}. */
    public static ProcessBuilder process(String mainClass, String... args) {
        return new ProcessBuilder(command(mainClass, args));
    }

    /** A process builder for {@link #command(List, String, String...)}. */
    public static ProcessBuilder process(List<String> jvmOptions, String mainClass, String... args) {
        return new ProcessBuilder(command(jvmOptions, mainClass, args));
    }
}
