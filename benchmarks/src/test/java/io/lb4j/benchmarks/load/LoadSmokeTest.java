package io.lb4j.benchmarks.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Balancer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load benchmark's smoke mode for CI: each workload runs for about a second through an
 * in-process balancer against in-process backends. It checks only that traffic flowed and every
 * response was right, never how fast: speed lives in compare.sh, not in tests.
 */
class LoadSmokeTest {

    private static LoadClient.Result through(BackendServer.Mode mode, LoadClient.Workload workload, int connections)
            throws Exception {
        try (BackendServer backends = BackendServer.start(mode, "127.0.0.1", 0, 0)) {
            Balancer balancer = Balancer.builder().listen("127.0.0.1:0")
                    .backend("127.0.0.1:" + backends.addresses().get(0).getPort())
                    .backend("127.0.0.1:" + backends.addresses().get(1).getPort())
                    .eventLoops(1).probe(null).build();
            balancer.start();
            try {
                LoadClient.Config config = new LoadClient.Config();
                config.workload = workload;
                config.target = balancer.addresses().get(0);
                config.connections = connections;
                config.depth = 2;
                config.warmupSeconds = 0.3;
                config.durationSeconds = 1;
                config.proxyPid = ProcessHandle.current().pid();
                config.label = "lb4j";
                return LoadClient.run(config);
            } finally {
                balancer.close();
            }
        }
    }

    @Test
    void shouldCompleteCheckedRequestsOverKeepAliveConnectionsThroughTheBalancer() throws Exception {
        LoadClient.Result result = through(BackendServer.Mode.HTTP, LoadClient.Workload.RR, 8);

        assertEquals(0, result.errors, result.line());
        assertTrue(result.ops > 0, result.line());
        assertTrue(Long.parseLong(result.values.get("p99us")) >= 0, result.line());
    }

    @Test
    void shouldEchoCheckedWebSocketMessagesThroughTheBalancer() throws Exception {
        LoadClient.Result result = through(BackendServer.Mode.WS, LoadClient.Workload.WS_ECHO, 8);

        assertEquals(0, result.errors, result.line());
        assertTrue(result.ops > 0, result.line());
    }

    @Test
    void shouldOpenANewConnectionPerRequestThroughTheBalancer() throws Exception {
        LoadClient.Result result = through(BackendServer.Mode.HTTP_CLOSE, LoadClient.Workload.CONN, 4);

        assertEquals(0, result.errors, result.line());
        assertTrue(result.ops > 0, result.line());
    }

    @Test
    void shouldMoveBytesBothWaysInBulkThroughTheBalancer() throws Exception {
        LoadClient.Result result = through(BackendServer.Mode.BULK, LoadClient.Workload.BULK, 2);

        assertEquals(0, result.errors, result.line());
        assertTrue(Double.parseDouble(result.values.get("upGbps")) > 0, result.line());
        assertTrue(Double.parseDouble(result.values.get("downGbps")) > 0, result.line());
    }

    @Test
    void shouldHoldIdleWebSocketsAndReadTheProxyMemory() throws Exception {
        LoadClient.Result result = through(BackendServer.Mode.WS, LoadClient.Workload.WS_IDLE, 50);

        assertEquals(0, result.errors, result.line());
        assertEquals(50, result.ops, result.line());
        assertTrue(Long.parseLong(result.values.get("rssAfterKiB")) > 0, result.line());
    }

    @Test
    void shouldPutEachRunNextToHaproxysInTheTable(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("results.txt");
        Files.writeString(file, "RESULT workload=rr target=haproxy run=1 unit=req/s rate=100 p50us=5 p99us=10"
                + " proxyCpuUsPerOp=20 proxyCpuPct=50 clientCpuPct=40 backendCpuPct=30 errors=0\n"
                + "RESULT workload=rr target=lb4j run=1 unit=req/s rate=150 p50us=4 p99us=12"
                + " proxyCpuUsPerOp=10 proxyCpuPct=45 clientCpuPct=50 backendCpuPct=30 errors=0\n");

        String table = Table.render(file);

        String lb4jRow = table.lines().filter(l -> l.contains(" lb4j ")).findFirst().orElseThrow();
        assertTrue(lb4jRow.matches(".*\\b1\\.50\\s+1\\.20\\s+0\\.50\\s*$"), lb4jRow);
        assertTrue(lb4jRow.contains(" 80 "), "generator CPU is client + backends: " + lb4jRow);
    }

    @Test
    void shouldSummariseRunsAsMediansOfSameRunRatiosWithTheirRange(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("results.txt");
        StringBuilder lines = new StringBuilder();
        double[] lb4jCpu = {9, 10, 14};
        for (int run = 1; run <= 3; run++) {
            lines.append("RESULT workload=rr target=haproxy run=").append(run)
                    .append(" unit=req/s rate=100 p50us=5 p99us=10 proxyCpuUsPerOp=10 errors=0\n");
            lines.append("RESULT workload=rr target=lb4j-def run=").append(run).append(" unit=req/s rate=")
                    .append(90 + 10 * run).append(" p50us=5 p99us=10 proxyCpuUsPerOp=").append(lb4jCpu[run - 1])
                    .append(" proxySysUsPerOp=").append(lb4jCpu[run - 1] - 2).append(" errors=0\n");
        }
        Files.writeString(file, lines);

        String table = Table.render(file);

        String summary = table.substring(table.indexOf("median (min-max)"));
        String lb4jRow = summary.lines().filter(l -> l.startsWith("rr       lb4j-def")).findFirst().orElseThrow();
        assertTrue(lb4jRow.contains("110 (100-120)"), "median figure with its range: " + lb4jRow);
        assertTrue(lb4jRow.contains("1.10 (1.00-1.20)"), "median of same-run ratios: " + lb4jRow);
        assertTrue(lb4jRow.contains("1.00 (0.90-1.40)"), "median cpu ratio: " + lb4jRow);
        assertTrue(lb4jRow.contains("8.00 (7.00-12.0)"), "median kernel CPU per op: " + lb4jRow);
        assertTrue(lb4jRow.trim().endsWith("50%"), "cpu spread (14 - 9) / 10: " + lb4jRow);
    }

    @Test
    void shouldProfileTheBytesLb4jsThreadsAllocatePerRequest() throws Exception {
        String line = Profile.run(LoadClient.Workload.RR, 0.3, 1);

        assertTrue(line.matches("PROFILE workload=rr ops=[1-9][0-9]* errors=0 lb4jAllocBytesPerOp=[0-9.]+ .*"), line);
    }
}
