package io.lb4j.benchmarks.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads another process's CPU time and resident memory from {@code /proc}, the way BENCHMARKS.md
 * defines "CPU per op" and "memory per connection". Linux only; elsewhere every figure reads -1.
 */
final class ProcStat {
    /** {@code getconf CLK_TCK} on every Linux architecture the JDK runs on. */
    private static final long NS_PER_TICK = 10_000_000L;

    private ProcStat() {
    }

    /** User plus system CPU time of process {@code pid} so far, in nanoseconds, or -1. */
    static long cpuNs(long pid) {
        String[] fields = statFields(pid);
        return fields == null ? -1 : (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NS_PER_TICK;
    }

    /**
     * System (kernel) CPU time of process {@code pid} so far, in nanoseconds, or -1: with {@link #cpuNs}
     * it tells how much of a balancer's CPU per operation is the kernel's TCP work and system calls.
     */
    static long systemNs(long pid) {
        String[] fields = statFields(pid);
        return fields == null ? -1 : Long.parseLong(fields[12]) * NS_PER_TICK;
    }

    /** The fields of {@code /proc/PID/stat} from the state on (field 3), or {@code null}; utime is [11]. */
    private static String[] statFields(long pid) {
        if (pid <= 0) {
            return null;
        }
        try {
            // the command before them may hold spaces
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields.length > 12 ? fields : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * User plus system CPU time so far of those threads of process {@code pid} whose name starts with
     * one of {@code prefixes} (comma-separated; {@code _} stands for a space, so that {@code GC_Thread}
     * matches the collector's {@code GC Thread#0}), in nanoseconds; 0 when there are none or {@code /proc}
     * cannot be read.
     */
    static long threadsCpuNs(long pid, String prefixes) {
        if (pid <= 0 || prefixes == null) {
            return 0;
        }
        String[] starts = prefixes.split(",");
        long sum = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(' ', '_');
                    boolean matches = false;
                    for (String start : starts) {
                        matches |= !start.isEmpty() && name.startsWith(start);
                    }
                    if (matches) {
                        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        sum += (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NS_PER_TICK;
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return sum;
    }

    /** {@code VmRSS} of process {@code pid}, in KiB, or -1. */
    static long rssKiB(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
