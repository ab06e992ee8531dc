package io.lb4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every JUnit test class of core and the examples runs under {@link FaultOracle}, and every jqwik
 * class that starts a balancer under {@link FaultOracleHook}: a new test that forgets it fails here.
 */
@ExtendWith(FaultOracle.class)
class FaultOracleCoverageTest {

    private static List<String> missing(Path root) throws IOException {
        List<String> missing = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return missing;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (!name.endsWith("Test.java") && !name.endsWith("Properties.java")) {
                    continue;
                }
                String source = Files.readString(file);
                boolean junit = name.endsWith("Test.java");
                boolean startsBalancer = source.contains("Balancer.builder(") || source.contains("Main.run(");
                if (junit ? !source.contains("@ExtendWith(FaultOracle.class)")
                        : startsBalancer && !source.contains("@AddLifecycleHook(FaultOracleHook.class)")) {
                    missing.add(root.relativize(file).toString());
                }
            }
        }
        return missing;
    }

    @Test
    void shouldRunEveryTestClassUnderTheFaultOracle() throws IOException {
        Path core = Path.of("src/test/java");
        assertTrue(Files.isDirectory(core), "run from the core module's directory: " + Path.of("").toAbsolutePath());
        List<String> missing = new ArrayList<>(missing(core));
        missing.addAll(missing(Path.of("../examples/src/test/java")));
        assertEquals(List.of(), missing, "test classes without the fault oracle");
    }
}
