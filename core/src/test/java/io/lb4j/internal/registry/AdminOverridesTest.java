package io.lb4j.internal.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.Backend;
import io.lb4j.BackendRegistry;
import io.lb4j.testing.FaultOracle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The rule of run-time changes: an override per backend, until a source changes that backend's entry. */
@ExtendWith(FaultOracle.class)
class AdminOverridesTest {
    private final BackendRegistry.Dynamic file = BackendRegistry.dynamic();
    private final CompositeRegistry sources = new CompositeRegistry(List.of(file), List.of("file"));
    private final AdminOverrides overrides = new AdminOverrides(sources, sources::source);
    private final List<List<Backend>> pushed = new CopyOnWriteArrayList<>();
    private final Backend a = Backend.parse("10.0.0.1:80");
    private final Backend b = Backend.parse("10.0.0.2:80");

    private List<Backend> last() {
        return pushed.get(pushed.size() - 1);
    }

    @Test
    void shouldOverrideOneBackendUntilItsSourceChangesIt() {
        file.add(a);
        file.add(b);
        overrides.start(pushed::add);
        assertEquals(List.of(a, b), last());
        assertEquals("file", overrides.source(a.name()));

        overrides.weight(a.name(), 5);
        assertEquals(List.of(a.withWeight(5), b), last());
        assertEquals("admin", overrides.source(a.name()));
        assertEquals(b, overrides.remove(b.name()));
        assertEquals(List.of(a.withWeight(5)), last());

        file.add(Backend.parse("10.0.0.3:80")); // another backend changes: the overrides stay
        assertEquals(List.of(a.withWeight(5), Backend.parse("10.0.0.3:80")), last());
        file.setWeight(b.name(), 1); // the same entry again: no change to b, it stays removed
        assertEquals(List.of(a.withWeight(5), Backend.parse("10.0.0.3:80")), last());

        file.setAdminState(a.name(), Backend.AdminState.DRAIN); // the source changes a: its word counts again
        assertEquals(a.withAdminState(Backend.AdminState.DRAIN), last().get(0));
        assertEquals("file", overrides.source(a.name()));
        file.setWeight(b.name(), 2); // and b
        assertEquals(List.of(a.withAdminState(Backend.AdminState.DRAIN), b.withWeight(2), Backend.parse("10.0.0.3:80")),
                last());
    }

    @Test
    void shouldKeepAnAddedBackendUntilASourceListsItAndDropAnOverrideEqualToTheSource() {
        file.add(a);
        overrides.start(pushed::add);
        overrides.add(b.withWeight(3));
        assertEquals(List.of(a, b.withWeight(3)), last());
        assertEquals("admin", overrides.source(b.name()));
        assertThrows(IllegalArgumentException.class, () -> overrides.add(a));
        file.add(b); // the source lists it now: the source's entry wins
        assertEquals(List.of(a, b), last());
        assertEquals("file", overrides.source(b.name()));

        overrides.state(a.name(), Backend.AdminState.DOWN, null);
        assertEquals("admin", overrides.source(a.name()));
        overrides.state(a.name(), Backend.AdminState.UP, null); // back to what the file says
        assertEquals("file", overrides.source(a.name()));
        assertNull(overrides.state("10.9.9.9:1", Backend.AdminState.UP, null));
        assertNull(overrides.remove("10.9.9.9:1"));
    }

    @Test
    void shouldCarryTheDeadlineOfAPacedDrainThroughAWeightChange() {
        file.add(a);
        overrides.start(pushed::add);
        overrides.state(a.name(), Backend.AdminState.DRAIN, Duration.ofMinutes(10));
        assertEquals(Duration.ofMinutes(10), overrides.drainDeadline(a.name()));
        overrides.weight(a.name(), 4);
        assertEquals(Duration.ofMinutes(10), overrides.drainDeadline(a.name()));
        overrides.state(a.name(), Backend.AdminState.UP, Duration.ofMinutes(1));
        assertNull(overrides.drainDeadline(a.name()), "a deadline only with drain");
    }
}
