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
        out.append(String.format(Locale.ROOT, "%-8s %3s %-10s %10s %-8s %7s %7s %9s %6s %6s %6s %9s %8s %9s%n",
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
            out.append(String.format(Locale.ROOT, "%-8s %3s %-10s %10s %-8s %7s %7s %9s %6s %6s %6s %9s %8s %9s%n",
                    row.get("workload"), row.get("run"), row.get("target"), row.get("rate"), row.get("unit"),
                    or(row.get("p50us")), or(row.get("p99us")), or(row.get("proxyCpuUsPerOp")), or(row.get("proxyCpuPct")),
                    generator(row), row.get("errors"), ratio(row, ref, "rate"), ratio(row, ref, "p99us"),
                    ratio(row, ref, "proxyCpuUsPerOp")));
        }
        out.append("figure: the workload's unit; cpu-us/op: balancer user+sys CPU per op; lb%: balancer CPU, % of one core;\n"
                + "gen%: load generator + backends CPU, % of one core (they share core 1: near 100 means the generator was the limit);\n"
                + "x-*: ratio to haproxy in the same workload and run.\n");
        summary(rows, out);
        return out.toString();
    }

    /**
     * Per workload and target over all runs: the median of each figure and of each same-run ratio to
     * HAProxy, with min-max beside it, and the spread of CPU per op ((max - min) / median), so that a
     * single lucky or unlucky run never stands for the result.
     */
    private static void summary(List<Map<String, String>> rows, StringBuilder out) {
        Map<String, List<Map<String, String>>> groups = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            groups.computeIfAbsent(row.get("workload") + " " + row.get("target"), k -> new ArrayList<>()).add(row);
        }
        if (groups.values().stream().allMatch(g -> g.size() < 2)) {
            return;
        }
        out.append(String.format(Locale.ROOT, "%nmedian (min-max) over runs; x-*: median of the same-run ratios to haproxy%n"));
        out.append(String.format(Locale.ROOT, "%-8s %-10s %4s %-22s %-20s %-20s %-18s %-18s %-17s %-17s %-17s %7s%n",
                "workload", "target", "runs", "figure", "p99us", "p99.9us", "cpu-us/op", "sys-us/op", "x-figure", "x-p99",
                "x-cpu/op", "cpu-spr"));
        for (List<Map<String, String>> group : groups.values()) {
            List<Double> figure = new ArrayList<>();
            List<Double> p99 = new ArrayList<>();
            List<Double> p999 = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            List<Double> sys = new ArrayList<>();
            List<Double> xFigure = new ArrayList<>();
            List<Double> xP99 = new ArrayList<>();
            List<Double> xCpu = new ArrayList<>();
            for (Map<String, String> row : group) {
                Map<String, String> ref = reference(rows, row);
                add(figure, row.get("rate"));
                add(p99, row.get("p99us"));
                add(p999, row.get("p999us"));
                add(cpu, row.get("proxyCpuUsPerOp"));
                add(sys, row.get("proxySysUsPerOp"));
                add(xFigure, ratio(row, ref, "rate"));
                add(xP99, ratio(row, ref, "p99us"));
                add(xCpu, ratio(row, ref, "proxyCpuUsPerOp"));
            }
            String spread = cpu.size() < 2 ? "-" : String.format(Locale.ROOT, "%.0f%%",
                    100 * (max(cpu) - min(cpu)) / median(cpu));
            out.append(String.format(Locale.ROOT, "%-8s %-10s %4d %-22s %-20s %-20s %-18s %-18s %-17s %-17s %-17s %7s%n",
                    group.get(0).get("workload"), group.get(0).get("target"), group.size(), spanned(figure),
                    spanned(p99), spanned(p999), spanned(cpu), spanned(sys), spanned(xFigure), spanned(xP99), spanned(xCpu), spread));
        }
        out.append("sys-us/op: the part of cpu-us/op spent in the kernel (system calls, TCP); "
                + "cpu-spr: run-to-run spread of cpu-us/op, (max - min) / median.\n");
    }

    private static Map<String, String> reference(List<Map<String, String>> rows, Map<String, String> row) {
        for (Map<String, String> other : rows) {
            if (REFERENCE.equals(other.get("target")) && other.get("workload").equals(row.get("workload"))
                    && other.get("run").equals(row.get("run"))) {
                return other;
            }
        }
        return null;
    }

    private static void add(List<Double> values, String value) {
        try {
            if (value != null && !value.equals("-") && !value.equals("-1")) {
                values.add(Double.parseDouble(value));
            }
        } catch (NumberFormatException e) {
            // not a figure
        }
    }

    /** The median, or the mean of the middle two for an even count. */
    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static String spanned(List<Double> values) {
        if (values.isEmpty()) {
            return "-";
        }
        return number(median(values)) + " (" + number(min(values)) + "-" + number(max(values)) + ")";
    }

    private static String number(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
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
