// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of one run: operations/s and latency per kind and in total, errors by kind
 * with examples, and CPU time of the generator and (when its pid was given) of the server.
 */
public record Report(
        String command,
        String target,
        Map<String, String> settings,
        double seconds,
        List<Kind> kinds,
        Kind total,
        Map<String, Long> errors,
        List<String> errorSamples,
        double generatorCpuSeconds,
        double serverCpuSeconds,
        List<Double> serverCpuSecondsEach,
        double machineCpuSeconds) {

    /** One kind of operation; latencies in microseconds. */
    public record Kind(String name, long count, double perSecond, long p50, long p99, long max, double mean) {}

    public long totalOps() {
        return total.count();
    }

    public double totalPerSecond() {
        return seconds <= 0 ? 0 : totalOps() / seconds;
    }

    public long totalErrors() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    public Kind kind(String name) {
        return kinds.stream().filter(k -> k.name().equals(name)).findFirst().orElse(null);
    }

    static Report of(String command, String target, Map<String, String> settings, double seconds, List<String> names,
            List<Recorder> recorders, Errors errors, double generatorCpuSeconds, double serverCpuSeconds,
            List<Double> serverCpuSecondsEach, double machineCpuSeconds) {
        List<Kind> kinds = new ArrayList<>();
        Histogram all = new Histogram();
        for (String name : names) {
            Histogram merged = new Histogram();
            for (Recorder recorder : recorders) {
                merged.add(recorder.latencies(name));
            }
            all.add(merged);
            if (merged.count() > 0) {
                kinds.add(kind(name, merged, seconds));
            }
        }
        return new Report(command, target, java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings)), seconds, List.copyOf(kinds), kind("total", all, seconds),
            errors.byKind(), errors.samples(), generatorCpuSeconds, serverCpuSeconds,
            List.copyOf(serverCpuSecondsEach), machineCpuSeconds);
    }

    private static Kind kind(String name, Histogram histogram, double seconds) {
        return new Kind(name, histogram.count(), seconds <= 0 ? 0 : histogram.count() / seconds,
            histogram.percentile(0.5), histogram.percentile(0.99), histogram.max(), histogram.mean());
    }

    /** The summary table printed at the end of a run. */
    public void print(PrintStream out) {
        out.printf(Locale.ROOT, "%ncairn bench %s against %s: %.1f s measured%n", command, target, seconds);
        settings.forEach((key, value) -> out.printf(Locale.ROOT, "  %-14s %s%n", key, value));
        out.println();
        out.printf(Locale.ROOT, "%-12s %10s %10s %10s %10s %10s%n", "operation", "count", "ops/s", "p50 ms", "p99 ms",
            "max ms");
        for (Kind kind : kinds) {
            row(out, kind);
        }
        row(out, total);
        out.println();
        if (totalOps() > 0 && generatorCpuSeconds >= 0) {
            out.printf(Locale.ROOT, "generator CPU  %.2f s (%.0f%% of one core), %.1f us/op%n", generatorCpuSeconds,
                100 * generatorCpuSeconds / seconds, 1e6 * generatorCpuSeconds / totalOps());
        }
        if (totalOps() > 0 && serverCpuSeconds >= 0) {
            out.printf(Locale.ROOT, "server CPU     %.2f s (%.0f%% of one core), %.1f us/op%n", serverCpuSeconds,
                100 * serverCpuSeconds / seconds, 1e6 * serverCpuSeconds / totalOps());
        }
        if (totalOps() > 0 && machineCpuSeconds >= 0) {
            out.printf(Locale.ROOT, "machine CPU    %.2f s (%.0f%% of one core), %.1f us/op%n", machineCpuSeconds,
                100 * machineCpuSeconds / seconds, 1e6 * machineCpuSeconds / totalOps());
        }
        out.printf(Locale.ROOT, "errors         %d%n", totalErrors());
        errors.forEach((kind, count) -> out.printf(Locale.ROOT, "  %-28s %d%n", kind, count));
        if (!errorSamples.isEmpty()) {
            out.println("first errors:");
            errorSamples.forEach(sample -> out.println("  " + sample));
        }
    }

    private static void row(PrintStream out, Kind kind) {
        out.printf(Locale.ROOT, "%-12s %10d %10.1f %10.2f %10.2f %10.2f%n", kind.name(), kind.count(), kind.perSecond(),
            kind.p50() / 1000.0, kind.p99() / 1000.0, kind.max() / 1000.0);
    }

    /** The same as a JSON object (for scripts: compare-dovecot.sh reads it). */
    public String toJson() {
        StringBuilder json = new StringBuilder("{");
        field(json, "command", command).append(',');
        field(json, "target", target).append(',');
        json.append("\"settings\":{");
        boolean first = true;
        for (var entry : settings.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            field(json, entry.getKey(), entry.getValue());
        }
        json.append("},");
        number(json, "seconds", seconds).append(',');
        number(json, "ops", totalOps()).append(',');
        number(json, "ops_per_second", totalPerSecond()).append(',');
        number(json, "p50_ms", total.p50() / 1000.0).append(',');
        number(json, "p99_ms", total.p99() / 1000.0).append(',');
        json.append("\"kinds\":{");
        for (int i = 0; i < kinds.size(); i++) {
            Kind kind = kinds.get(i);
            if (i > 0) {
                json.append(',');
            }
            string(json, kind.name()).append(":{");
            number(json, "count", kind.count()).append(',');
            number(json, "ops_per_second", kind.perSecond()).append(',');
            number(json, "p50_ms", kind.p50() / 1000.0).append(',');
            number(json, "p99_ms", kind.p99() / 1000.0).append(',');
            number(json, "max_ms", kind.max() / 1000.0).append('}');
        }
        json.append("},");
        number(json, "errors", totalErrors()).append(',');
        json.append("\"errors_by_kind\":{");
        first = true;
        for (var entry : errors.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            number(json, entry.getKey(), entry.getValue());
        }
        json.append("},\"error_samples\":[");
        for (int i = 0; i < errorSamples.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            string(json, errorSamples.get(i));
        }
        json.append("],");
        number(json, "generator_cpu_seconds", generatorCpuSeconds).append(',');
        number(json, "server_cpu_seconds", serverCpuSeconds).append(',');
        number(json, "server_cpu_us_per_op", serverCpuSeconds < 0 || totalOps() == 0 ? -1
            : 1e6 * serverCpuSeconds / totalOps()).append(',');
        // one per --server-pid, in its order (a node and a proxy in front of it, say)
        json.append("\"server_cpu_us_per_op_each\":[");
        for (int i = 0; i < serverCpuSecondsEach.size(); i++) {
            double each = serverCpuSecondsEach.get(i);
            json.append(i > 0 ? "," : "").append(each < 0 || totalOps() == 0 ? "-1"
                : String.format(Locale.ROOT, "%.1f", 1e6 * each / totalOps()));
        }
        json.append("],");
        number(json, "machine_cpu_seconds", machineCpuSeconds).append(',');
        number(json, "machine_cpu_us_per_op", machineCpuSeconds < 0 || totalOps() == 0 ? -1
            : 1e6 * machineCpuSeconds / totalOps());
        return json.append('}').toString();
    }

    private static StringBuilder field(StringBuilder json, String name, String value) {
        string(json, name).append(':');
        return string(json, value);
    }

    private static StringBuilder number(StringBuilder json, String name, double value) {
        string(json, name).append(':');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return json.append((long) value);
        }
        return json.append(String.format(Locale.ROOT, "%.3f", value));
    }

    private static StringBuilder string(StringBuilder json, String text) {
        json.append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }
}
