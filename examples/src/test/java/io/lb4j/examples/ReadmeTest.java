package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's program is the tagged region of a compiled, tested example, so it compiles and runs;
 * this test keeps the two identical. The README must also keep, near its top, the one block with the
 * demo command and the test command CI runs, and name every example.
 */
@ExtendWith(FaultOracle.class)
class ReadmeTest {
    private static final Path ROOT = Path.of("..");
    private static final Path EXAMPLES = ROOT.resolve("examples/src/main/java/io/lb4j/examples");

    @Test
    void shouldShowTheProgramExactlyAsTheCompiledExampleHasIt() throws IOException {
        List<String> source = Files.readAllLines(EXAMPLES.resolve("QuickStart.java"));
        List<String> region = new ArrayList<>();
        boolean inside = false;
        for (String line : source) {
            if (line.contains("// end::readme[]")) {
                inside = false;
            } else if (inside) {
                region.add(line);
            } else if (line.contains("// tag::readme[]")) {
                inside = true;
            }
        }
        assertTrue(region.size() > 10, "the example lost its tagged region");
        String expected = String.join("\n", region);

        String readme = Files.readString(ROOT.resolve("README.md"));
        int marker = readme.indexOf("<!-- snippet: examples/src/main/java/io/lb4j/examples/QuickStart.java#readme");
        assertTrue(marker >= 0, "README lost its snippet marker");
        int start = readme.indexOf("```java\n", marker) + "```java\n".length();
        String snippet = readme.substring(start, readme.indexOf("\n```", start));
        assertEquals(expected, snippet);
    }

    @Test
    void shouldKeepOneBlockWithTheDemoCommandAndTheCiTestCommandNearTheTop() throws IOException {
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
        int block = -1;
        for (int i = 0; i + 2 < readme.size() && i < 120; i++) {
            if (readme.get(i).equals("```sh")
                    && readme.get(i + 1).startsWith("mvn -B -q -DskipTests install && mvn -B -q -pl examples exec:java")) {
                block = i;
                break;
            }
        }
        assertTrue(block >= 0, "no ```sh block with the demo command in the README's first 120 lines");
        String testCommand = readme.get(block + 2).replaceAll("\\s+#.*", "");
        assertEquals("mvn -B -ntp verify", testCommand);
        assertEquals("```", readme.get(block + 3), "the block holds the two commands only");
        assertTrue(Files.readAllLines(ROOT.resolve(".ci/run")).contains(testCommand), ".ci/run must run " + testCommand);
    }

    @Test
    void shouldNameEveryExampleInTheReadme() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".java"))
                    .map(n -> n.substring(0, n.length() - ".java".length()))
                    .filter(n -> !readme.contains("| `" + n + "` |")).sorted().forEach(missing::add);
        }
        assertEquals(List.of(), missing, "examples missing from the README's table");
    }
}
