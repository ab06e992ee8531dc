package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.testing.Await;
import io.lb4j.testing.FaultOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(FaultOracle.class)
class FileRegistryTest {
    /** CLI.md: a change applies within 2 s. */
    private static final long APPLY_MS = 2_000;

    @TempDir
    Path dir;

    private final List<List<Backend>> pushed = new CopyOnWriteArrayList<>();

    private List<Backend> last() {
        return pushed.get(pushed.size() - 1);
    }

    @Test
    void shouldParseEveryFieldAndIgnoreCommentsAndBlankLines() {
        List<Backend> backends = FileRegistry.parse(Path.of("b.txt"), String.join("\n",
                "# pool", "", "10.0.0.1:80", "  10.0.0.2:81 weight=5 max-connections=7 state=drain  # canary",
                "[::1]:82\tstate=down", "host.example:83 state=UP"));
        assertEquals(List.of(Backend.of("10.0.0.1", 80),
                new Backend("10.0.0.2", 81, 5, 7, Backend.AdminState.DRAIN),
                Backend.of("::1", 82).withAdminState(Backend.AdminState.DOWN),
                Backend.of("host.example", 83)), backends);
    }

    @Test
    void shouldNameFileAndLineOfABadLine() {
        Path file = Path.of("b.txt");
        assertEquals("b.txt:2: weight: '0' (expected: 1-1000)", assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "10.0.0.1:80\n10.0.0.2:80 weight=0")).getMessage());
        assertEquals("b.txt:1: state: 'off' (expected: up, down or drain)", assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "10.0.0.1:80 state=off")).getMessage());
        assertEquals("b.txt:3: '10.0.0.1:80' listed twice", assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "10.0.0.1:80\n#\n10.0.0.1:80")).getMessage());
        assertEquals("b.txt:1: backend: 'nohost' (expected: HOST:PORT)", assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "nohost")).getMessage());
        assertEquals("b.txt:1: 'speed=3' (expected: weight=N, max-connections=N, state=up|down|drain or deadline=D)",
                assertThrows(IllegalArgumentException.class, () -> FileRegistry.parse(file, "a:1 speed=3")).getMessage());
    }

    @Test
    void shouldTakeADrainDeadlineOnlyWithStateDrainSpaceOrCommaSeparated() {
        Path file = Path.of("b.txt");
        FileRegistry.Contents contents = FileRegistry.contents(file, String.join("\n",
                "10.0.0.1:80 state=drain deadline=10m", "10.0.0.2:80 state=drain,deadline=250ms,weight=3",
                "10.0.0.3:80 deadline=1h state=drain", "10.0.0.4:80 state=drain", "10.0.0.5:80"));
        assertEquals(java.util.Map.of("10.0.0.1:80", java.time.Duration.ofMinutes(10),
                "10.0.0.2:80", java.time.Duration.ofMillis(250), "10.0.0.3:80", java.time.Duration.ofHours(1)),
                contents.drainDeadlines());
        assertEquals(new Backend("10.0.0.2", 80, 3, 0, Backend.AdminState.DRAIN), contents.backends().get(1));
        assertEquals(5, contents.backends().size());
        assertEquals("b.txt:1: deadline: given without state=drain", assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "10.0.0.1:80 deadline=10m")).getMessage());
        assertEquals("b.txt:1: deadline: given without state=drain", assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "10.0.0.1:80 state=up deadline=10m")).getMessage());
        assertEquals("b.txt:1: deadline: '0' (expected: a positive duration such as 10m)",
                assertThrows(IllegalArgumentException.class,
                        () -> FileRegistry.parse(file, "10.0.0.1:80 state=drain deadline=0")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "10.0.0.1:80 state=drain deadline=1.5s")).getMessage()
                .startsWith("b.txt:1: deadline: '1.5s'"));
        assertEquals("b.txt:1: deadline given twice", assertThrows(IllegalArgumentException.class,
                () -> FileRegistry.parse(file, "10.0.0.1:80 state=drain deadline=1s deadline=2s")).getMessage());
    }

    @Test
    void shouldFailStartWhenTheFileIsMissingOrBad() throws Exception {
        Path missing = dir.resolve("missing.txt");
        try (BackendRegistry registry = BackendRegistry.file(missing)) {
            assertEquals(missing + ": cannot read (no such file)",
                    assertThrows(IllegalArgumentException.class, () -> registry.start(pushed::add)).getMessage());
        }
        Path bad = Files.writeString(dir.resolve("bad.txt"), "10.0.0.1:0\n");
        try (BackendRegistry registry = BackendRegistry.file(bad)) {
            assertEquals(bad + ":1: backend port: 0 (expected: 1-65535)",
                    assertThrows(IllegalArgumentException.class, () -> registry.start(pushed::add)).getMessage());
        }
        assertEquals(List.of(), pushed);
    }

    @Test
    void shouldFollowAddRemoveDrainBadLineAndDeletion() throws Exception {
        Path file = Files.writeString(dir.resolve("backends.txt"), "127.0.0.1:1001\n127.0.0.1:1002\n");
        try (BackendRegistry registry = BackendRegistry.file(file)) {
            registry.start(pushed::add);
            assertEquals(List.of(Backend.of("127.0.0.1", 1001), Backend.of("127.0.0.1", 1002)), last());

            rewrite(file, "127.0.0.1:1001\n127.0.0.1:1002\n127.0.0.1:1003 weight=3\n");
            Await.until(() -> "add: " + pushed, () -> last().size() == 3, Duration.ofMillis(APPLY_MS));
            assertEquals(Backend.of("127.0.0.1", 1003).withWeight(3), last().get(2));

            rewrite(file, "127.0.0.1:1002\n127.0.0.1:1003 weight=3\n");
            Await.until(() -> "remove: " + pushed, () -> last().size() == 2, Duration.ofMillis(APPLY_MS));
            assertEquals(List.of(Backend.of("127.0.0.1", 1002), Backend.of("127.0.0.1", 1003).withWeight(3)), last());

            rewrite(file, "127.0.0.1:1002 state=drain\n127.0.0.1:1003 weight=3\n");
            Await.until(() -> "drain: " + pushed, () -> last().get(0).adminState() == Backend.AdminState.DRAIN,
                    Duration.ofMillis(APPLY_MS));
            List<Backend> good = last();
            int pushes = pushed.size();

            rewrite(file, "127.0.0.1:1002\n127.0.0.1:99999\n");
            assertNothingPushedFor(3 * FileRegistry.CHECK_MS, pushes, "after a bad line");
            Files.delete(file);
            assertNothingPushedFor(3 * FileRegistry.CHECK_MS, pushes, "after deletion");
            assertEquals(good, last());

            rewrite(file, "127.0.0.1:1004\n");
            Await.until(() -> "recreated: " + pushed, () -> last().equals(List.of(Backend.of("127.0.0.1", 1004))),
                    Duration.ofMillis(APPLY_MS));
        }
    }

    @Test
    void shouldNeverPushAHalfWrittenFileFromAWriterThatTruncatesFirst() throws Exception {
        String before = "127.0.0.1:1001\n127.0.0.1:1002\n127.0.0.1:1003\n";
        String after = "127.0.0.1:1001\n127.0.0.1:1002\n127.0.0.1:1003\n127.0.0.1:1004\n";
        Path file = Files.writeString(dir.resolve("edited.txt"), before);
        try (BackendRegistry registry = BackendRegistry.file(file)) {
            registry.start(pushed::add);
            List<Backend> old = last();
            for (int round = 0; round < 3; round++) {
                String next = round % 2 == 0 ? after : before;
                // as an editor or `echo >` does: truncate, then write in two parts with a pause between
                try (java.io.OutputStream out = Files.newOutputStream(file)) {
                    out.flush();
                    Thread.sleep(40); // the writer's own pause: the state a watch event can catch
                    out.write(next.substring(0, 20).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(40);
                    out.write(next.substring(20).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                }
                int size = next.equals(after) ? 4 : 3;
                Await.until(() -> "applied: " + pushed, () -> last().size() == size, Duration.ofMillis(APPLY_MS));
            }
            for (List<Backend> push : pushed) {
                assertTrue(push.size() == 3 && push.equals(old) || push.size() == 4, "only whole files: " + pushed);
            }
        }
    }

    @Test
    void shouldStopWatchingOnClose() throws Exception {
        Path file = Files.writeString(dir.resolve("b.txt"), "127.0.0.1:1001\n");
        BackendRegistry registry = BackendRegistry.file(file);
        registry.start(pushed::add);
        registry.close();
        Await.until("the watcher thread to end", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("lb4j-file-registry")), Duration.ofMillis(APPLY_MS));
        rewrite(file, "127.0.0.1:1002\n");
        assertEquals(1, pushed.size());
    }

    /** Samples over a time span (at least one periodic check) that no snapshot was pushed. */
    private void assertNothingPushedFor(long ms, int pushes, String when) {
        Await.holdsFor(() -> "pushed " + when + ": " + pushed, () -> pushed.size() == pushes, Duration.ofMillis(ms));
    }

    private static void rewrite(Path file, String text) throws Exception {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, text);
        Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
