package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's Java snippet is the tagged region of a compiled example, so it compiles and runs;
 * this test keeps the two identical. The README must also start with the two commands, the test
 * command being the one CI runs.
 */
class ReadmeTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void shouldShowTheEmbeddingSnippetExactlyAsTheCompiledExampleHasIt() throws IOException {
        List<String> source = Files.readAllLines(ROOT.resolve("examples/src/main/java/io/lb4j/examples/EmbeddedExample.java"));
        List<String> region = new ArrayList<>();
        boolean inside = false;
        for (String line : source) {
            if (line.contains("// end::embed[]")) {
                inside = false;
            } else if (inside) {
                region.add(line);
            } else if (line.contains("// tag::embed[]")) {
                inside = true;
            }
        }
        int indent = region.get(0).length() - region.get(0).stripLeading().length();
        String expected = String.join("\n", region.stream().map(l -> l.substring(Math.min(indent, l.length()))).toList());

        String readme = Files.readString(ROOT.resolve("README.md"));
        int marker = readme.indexOf("<!-- snippet: examples/src/main/java/io/lb4j/examples/EmbeddedExample.java#embed");
        assertTrue(marker >= 0, "README lost its snippet marker");
        int start = readme.indexOf("```java\n", marker) + "```java\n".length();
        String snippet = readme.substring(start, readme.indexOf("\n```", start));
        assertEquals(expected, snippet);
    }

    @Test
    void shouldStartWithTheDemoCommandAndTheCiTestCommand() throws IOException {
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
        assertEquals("```sh", readme.get(2));
        assertTrue(readme.get(3).startsWith("mvn -B -q -DskipTests install && mvn -B -q -pl examples exec:java"));
        String testCommand = readme.get(4).replaceAll("\\s+#.*", "");
        assertEquals("mvn -B -ntp verify", testCommand);
        assertTrue(Files.readAllLines(ROOT.resolve(".ci/run")).contains(testCommand), ".ci/run must run " + testCommand);
    }
}
