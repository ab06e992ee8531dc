package io.lb4j.benchmarks.load;

import io.lb4j.Balancer;
import io.lb4j.BalancingPolicy;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Figures about lb4j that a noisy machine does not distort, taken in one JVM: the bytes lb4j's own
 * threads ({@code lb4j-*}) allocate per operation of each workload (from the JVM's per-thread
 * allocation counters, so the load generator and backends in the same JVM do not count) and the
 * collections during the measurement. Timing here is meaningless (everything shares the cores); the
 * counts are exact.
 *
 * <pre>
 * java -cp benchmarks.jar io.lb4j.benchmarks.load.Load profile [--workloads "rr ws-echo conn"]
 *      [--warmup S] [--duration S]
 * </pre>
 */
final class Profile {
    private static final String LB4J_THREADS = "lb4j-";

    private Profile() {
    }

    static void main(List<String> args) throws Exception {
        String workloads = "rr ws-echo conn";
        double warmup = 3;
        double duration = 5;
        for (int i = 0; i + 1 < args.size(); i += 2) {
            String value = args.get(i + 1);
            switch (args.get(i)) {
                case "--workloads":
                    workloads = value;
                    break;
                case "--warmup":
                    warmup = Double.parseDouble(value);
                    break;
                case "--duration":
                    duration = Double.parseDouble(value);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + args.get(i));
            }
        }
        for (String name : workloads.trim().split("\\s+")) {
            LoadClient.Workload workload = LoadClient.Workload.parse(name);
            System.out.println(run(workload, warmup, duration));
        }
    }

    static String run(LoadClient.Workload workload, double warmup, double duration)
            throws Exception {
        BackendServer.Mode mode = workload == LoadClient.Workload.RR ? BackendServer.Mode.HTTP
                : workload == LoadClient.Workload.CONN ? BackendServer.Mode.HTTP_CLOSE
                : workload == LoadClient.Workload.BULK ? BackendServer.Mode.BULK : BackendServer.Mode.WS;
        try (BackendServer backends = BackendServer.start(mode, "127.0.0.1", 0, 0)) {
            Balancer balancer = Balancer.builder().listen("127.0.0.1:0")
                    .backend("127.0.0.1:" + backends.addresses().get(0).getPort())
                    .backend("127.0.0.1:" + backends.addresses().get(1).getPort())
                    .eventLoops(1).probe(null).policy(BalancingPolicy.roundRobin()).build();
            balancer.start();
            try {
                LoadClient.Config config = new LoadClient.Config();
                config.workload = workload;
                config.target = balancer.addresses().get(0);
                config.connections = workload == LoadClient.Workload.CONN ? 16 : workload == LoadClient.Workload.RR ? 64 : 200;
                config.depth = workload == LoadClient.Workload.CONN ? 1 : 4;
                config.warmupSeconds = warmup;
                config.durationSeconds = duration;
                config.label = "lb4j-in-process";
                long[] allocated = new long[2];
                long[] gcs = new long[2];
                config.atMeasureStart = () -> {
                    allocated[0] = allocatedBytes();
                    gcs[0] = collections();
                };
                config.atMeasureEnd = () -> {
                    allocated[1] = allocatedBytes();
                    gcs[1] = collections();
                };
                LoadClient.Result result = LoadClient.run(config);
                return String.format(Locale.ROOT,
                        "PROFILE workload=%s ops=%d errors=%d lb4jAllocBytesPerOp=%.1f gcsDuringMeasurement=%d",
                        workload.label(), result.ops, result.errors,
                        result.ops > 0 ? (allocated[1] - allocated[0]) / (double) result.ops : -1, gcs[1] - gcs[0]);
            } finally {
                balancer.close();
            }
        }
    }

    /** Bytes allocated so far by the threads named {@code lb4j-*}. */
    private static long allocatedBytes() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith(LB4J_THREADS)) {
                sum += Math.max(0, threads.getThreadAllocatedBytes(thread.getId()));
            }
        }
        return sum;
    }

    private static long collections() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionCount());
        }
        return sum;
    }
}
