// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** Options every load command shares: where the server is, how many clients, how long, output. */
public final class LoadOptions {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server host (default: ${DEFAULT-VALUE}).")
    public String host;

    @Option(names = "--tls", defaultValue = "none", description = "none, implicit or starttls (default: ${DEFAULT-VALUE}).")
    public String tls;

    @Option(names = "--insecure", description = "Accept any TLS certificate (test servers).")
    public boolean insecure;

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
        description = "How long to measure, e.g. 30s, 2m (default: ${DEFAULT-VALUE}); ignored with --ops.")
    public Duration duration;

    @Option(names = "--ops", defaultValue = "0",
        description = "Stop after this many measured operations instead of after --duration.")
    public long ops;

    @Option(names = "--rate", defaultValue = "0",
        description = "Operations per second of all clients together, paced evenly (default: ${DEFAULT-VALUE}, as fast as they can).")
    public double rate;

    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
        description = "Load run before measuring, not counted (default: ${DEFAULT-VALUE}).")
    public Duration warmup;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the corpus and of every client's choices (default: ${DEFAULT-VALUE}).")
    public long seed;

    @Option(names = "--max-size", defaultValue = "5242880",
        description = "Largest corpus message in bytes (default: ${DEFAULT-VALUE}, 5 MiB).")
    public int maxSize;

    @Option(names = "--min-size", defaultValue = "1024",
        description = "Smallest corpus message in bytes; equal to --max-size for messages of one size (default: ${DEFAULT-VALUE}).")
    public int minSize;

    @Option(names = "--pool", defaultValue = "200", description = "Distinct corpus messages in use (default: ${DEFAULT-VALUE}).")
    public int pool;

    @Option(names = "--server-pid", split = ",",
        description = "Pid(s) of the server; its process tree's CPU time is measured and reported per operation.")
    public List<Long> serverPids = new ArrayList<>();

    @Option(names = "--json", description = "Print the result as one JSON object instead of a table.")
    public boolean json;

    @Option(names = "--no-progress", negatable = false, description = "No live progress line on stderr.")
    public boolean noProgress;

    public Endpoint endpoint(int port) {
        Endpoint.Tls mode = switch (tls.toLowerCase(Locale.ROOT)) {
            case "none", "no", "plain" -> Endpoint.Tls.NONE;
            case "implicit", "yes", "ssl" -> Endpoint.Tls.IMPLICIT;
            case "starttls" -> Endpoint.Tls.STARTTLS;
            default -> throw new IllegalArgumentException("--tls must be none, implicit or starttls: " + tls);
        };
        return new Endpoint(host, port, mode, insecure, Duration.ofSeconds(120));
    }

    public LoadRun.Settings settings(int clients) {
        return new LoadRun.Settings(clients, warmup, duration, ops, !noProgress, serverPids, rate);
    }

    /** Prints the report (table or JSON) and returns the exit code: 0, or 1 when there were errors. */
    public int finish(Report report, java.io.PrintStream out) {
        if (json) {
            out.println(report.toJson());
        } else {
            report.print(out);
        }
        out.flush();
        return report.totalErrors() == 0 ? 0 : 1;
    }

    /** 30s, 2m, 500ms, 1h, or a plain number of seconds. */
    public static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60));
            }
            if (v.endsWith("h")) {
                return Duration.ofSeconds(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 3600));
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        }
    }
}
