package io.lb4j;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written from its rules: lines end
 * with LF (the last one too); {@code # HELP} and {@code # TYPE} at most once per family, TYPE before
 * the family's first sample; a family's samples are contiguous; metric and label names match their
 * grammars; label values are quoted with only {@code \\}, {@code \"} and {@code \n} escapes; values
 * are floats (or NaN, +Inf, -Inf); no series appears twice.
 */
final class PrometheusParser {
    private static final Pattern METRIC = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** Parsed samples keyed by {@code name{label="value",...}} with labels sorted, and family types. */
    record Exposition(Map<String, Double> samples, Map<String, String> types, Map<String, String> help) {
        double value(String series) {
            Double v = samples.get(series);
            if (v == null) {
                throw new AssertionError("no series " + series + " in " + samples.keySet());
            }
            return v;
        }
    }

    private PrometheusParser() {
    }

    static Exposition parse(String text) {
        try {
            return parseLines(text);
        } catch (StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("a line ends inside its labels", e);
        }
    }

    private static Exposition parseLines(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("last line does not end with a line feed");
        }
        Map<String, Double> samples = new LinkedHashMap<>();
        Map<String, String> types = new HashMap<>();
        Map<String, String> help = new HashMap<>();
        Set<String> finishedFamilies = new HashSet<>();
        String currentFamily = null;
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            String where = "line " + lineNo + ": ";
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                    String name = parts[2];
                    require(METRIC.matcher(name).matches(), where + "bad metric name " + name);
                    if (parts[1].equals("TYPE")) {
                        require(parts.length == 4 && TYPES.contains(parts[3]), where + "bad type");
                        require(!types.containsKey(name), where + "second TYPE for " + name);
                        require(!finishedFamilies.contains(name) && !name.equals(currentFamily),
                                where + "TYPE after samples of " + name);
                        types.put(name, parts[3]);
                    } else {
                        require(!help.containsKey(name), where + "second HELP for " + name);
                        help.put(name, parts.length == 4 ? parts[3] : "");
                    }
                }
                continue;
            }
            int i = 0;
            while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
                i++;
            }
            String name = line.substring(0, i);
            require(METRIC.matcher(name).matches(), where + "bad metric name '" + name + "'");
            Map<String, String> labels = new TreeMap<>();
            if (i < line.length() && line.charAt(i) == '{') {
                i++;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    require(eq > i, where + "label without =");
                    String label = line.substring(i, eq);
                    require(LABEL.matcher(label).matches(), where + "bad label name '" + label + "'");
                    require(line.charAt(eq + 1) == '"', where + "label value not quoted");
                    StringBuilder value = new StringBuilder();
                    int j = eq + 2;
                    while (line.charAt(j) != '"') {
                        char c = line.charAt(j);
                        if (c == '\\') {
                            char e = line.charAt(j + 1);
                            require(e == '\\' || e == '"' || e == 'n', where + "bad escape \\" + e);
                            value.append(e == 'n' ? '\n' : e);
                            j += 2;
                        } else {
                            value.append(c);
                            j++;
                        }
                    }
                    require(labels.put(label, value.toString()) == null, where + "label twice: " + label);
                    i = j + 1;
                    if (line.charAt(i) == ',') {
                        i++;
                    } else {
                        require(line.charAt(i) == '}', where + "expected , or }");
                    }
                }
                i++;
            }
            require(i < line.length() && line.charAt(i) == ' ', where + "no space before value");
            String[] rest = line.substring(i + 1).trim().split(" +");
            require(rest.length == 1 || rest.length == 2, where + "expected value [timestamp]");
            double value = parseValue(rest[0], where);
            if (rest.length == 2) {
                Long.parseLong(rest[1]);
            }
            String family = familyOf(name, types);
            if (!family.equals(currentFamily)) {
                require(!finishedFamilies.contains(family), where + "samples of " + family + " not contiguous");
                if (currentFamily != null) {
                    finishedFamilies.add(currentFamily);
                }
                currentFamily = family;
            }
            StringBuilder key = new StringBuilder(name);
            if (!labels.isEmpty()) {
                key.append('{');
                String comma = "";
                for (Map.Entry<String, String> e : labels.entrySet()) {
                    key.append(comma).append(e.getKey()).append("=\"").append(e.getValue()).append('"');
                    comma = ",";
                }
                key.append('}');
            }
            require(samples.put(key.toString(), value) == null, where + "series twice: " + key);
        }
        return new Exposition(samples, types, help);
    }

    private static String familyOf(String name, Map<String, String> types) {
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                String type = types.get(base);
                if ("histogram".equals(type) || "summary".equals(type)) {
                    return base;
                }
            }
        }
        return name;
    }

    private static double parseValue(String text, String where) {
        switch (text) {
            case "NaN": return Double.NaN;
            case "+Inf": return Double.POSITIVE_INFINITY;
            case "-Inf": return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + "bad value '" + text + "'");
                }
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
