package io.lb4j.internal.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.testing.FaultOracle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** docs/CLI.md, which the README links for the command line, has a row for every option {@code --help} lists. */
@ExtendWith(FaultOracle.class)
class CliDocTest {

    @Test
    void shouldHaveATableRowInDocsCliForEveryOptionOfHelp() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "CLI.md"));
        List<String> missing = new ArrayList<>();
        Matcher option = Pattern.compile("(?m)^  (--[a-z0-9-]+)").matcher(Options.HELP);
        int found = 0;
        while (option.find()) {
            found++;
            String name = option.group(1);
            if (!Pattern.compile("(?m)^\\| `" + Pattern.quote(name) + "[ `,\\[]").matcher(doc).find()
                    && !doc.contains("`, `" + name + " ") && !doc.contains("`, `" + name + "`")) {
                missing.add(name);
            }
        }
        assertEquals(true, found > 30, "--help lists " + found + " options");
        assertEquals(List.of(), missing, "options of --help without a row in docs/CLI.md");
    }
}
