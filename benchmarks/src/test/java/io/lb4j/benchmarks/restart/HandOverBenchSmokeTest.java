package io.lb4j.benchmarks.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The restart benchmark's smoke mode for CI: two hand-overs between lb4j child processes under a
 * small load, in a few seconds. It checks that the harness runs and that no new connection was
 * refused (a listener holds the port throughout a hand-over), never how fast.
 */
class HandOverBenchSmokeTest {

    @Test
    void shouldHandOverTwiceUnderLoadWithoutARefusedConnect() throws Exception {
        HandOverBench bench = new HandOverBench().smoke();
        String result = bench.run();

        assertTrue(result.startsWith("RESULT mode=handover"), result);
        assertEquals(0, bench.shortRefused.sum(), result);
        assertTrue(bench.shortOk.sum() > 0, result);
        assertTrue(bench.echoes.sum() > 0, result);
        assertEquals(2, bench.exitMs.size(), "both old processes exited: " + result);
    }
}
