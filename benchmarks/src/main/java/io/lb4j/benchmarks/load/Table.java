package io.lb4j.benchmarks.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the {@code RESULT} lines of one comparison run into one table, each figure next to its ratio
 * to HAProxy's from the same workload and run. Ratios are only ever taken within a run, because
 * absolute figures on a shared machine move by tens of percent between runs.
 */
final class Table {
    private static final String REFERENCE = "haproxy";

    private Table() {
    }

    static String render(Path file) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("RESULT ")) {
                Map<String, String> row = new LinkedHashMap<>();
                for (String pair : line.substring(7).trim().split(" ")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0) {
                        row.put(pair.substring(0, eq), pair.substring(eq + 1));
                    }
                }
                rows.add(row);
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-8s %3s %-8s %10s %-8s %7s %7s %9s %6s %6s %6s %9s %8s %9s%n",
                "workload", "run", "target", "figure", "unit", "p50us", "p99us", "cpu-us/op", "lb%",
                "gen%", "errors", "x-figure", "x-p99", "x-cpu/op"));
        for (Map<String, String> row : rows) {
            Map<String, String> ref = null;
            for (Map<String, String> other : rows) {
                if (REFERENCE.equals(other.get("target")) && other.get("workload").equals(row.get("workload"))
                        && other.get("run").equals(row.get("run"))) {
                    ref = other;
                }
            }
            out.append(String.format(Locale.ROOT, "%-8s %3s %-8s %10s %-8s %7s %7s %9s %6s %6s %6s %9s %8s %9s%n",
                    row.get("workload"), row.get("run"), row.get("target"), row.get("rate"), row.get("unit"),
                    or(row.get("p50us")), or(row.get("p99us")), or(row.get("proxyCpuUsPerOp")), or(row.get("proxyCpuPct")),
                    generator(row), row.get("errors"), ratio(row, ref, "rate"), ratio(row, ref, "p99us"),
                    ratio(row, ref, "proxyCpuUsPerOp")));
        }
        out.append("figure: the workload's unit; cpu-us/op: balancer user+sys CPU per op; lb%: balancer CPU, % of one core;\n"
                + "gen%: load generator + backends CPU, % of one core (they share core 1: near 100 means the generator was the limit);\n"
                + "x-*: ratio to haproxy in the same workload and run.\n");
        return out.toString();
    }

    private static String generator(Map<String, String> row) {
        double sum = 0;
        for (String key : new String[] {"clientCpuPct", "backendCpuPct"}) {
            String v = row.get(key);
            if (v != null && !v.equals("-")) {
                sum += Double.parseDouble(v);
            }
        }
        return row.containsKey("clientCpuPct") ? String.format(Locale.ROOT, "%.0f", sum) : "-";
    }

    private static String or(String value) {
        return value == null || value.equals("-1") ? "-" : value;
    }

    private static String ratio(Map<String, String> row, Map<String, String> ref, String key) {
        if (ref == null) {
            return "-";
        }
        try {
            double mine = Double.parseDouble(row.get(key));
            double theirs = Double.parseDouble(ref.get(key));
            return theirs > 0 && mine >= 0 ? String.format(Locale.ROOT, "%.2f", mine / theirs) : "-";
        } catch (NumberFormatException | NullPointerException e) {
            return "-";
        }
    }
}
