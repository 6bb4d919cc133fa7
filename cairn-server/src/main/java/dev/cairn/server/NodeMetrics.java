// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.protocol.auth.AuthResult;
import dev.cairn.protocol.auth.Authenticator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;

import java.lang.management.ManagementFactory;
import java.util.function.IntSupplier;

/**
 * The node-wide meters, named after Prometheus's conventions (base units seconds and bytes,
 * counters ending in {@code _total}, a HELP text on each): the JVM's, the build, and the ones
 * {@link ProtocolListeners} adds per listener and protocol. docs/operations.md lists them.
 */
final class NodeMetrics implements AutoCloseable {
    private final MeterRegistry registry;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    NodeMetrics(MeterRegistry registry, String version) {
        this.registry = registry;
        // Micrometer counts the process's CPU time in nanoseconds (process_cpu_time_ns_total);
        // Prometheus's own name and unit are process_cpu_seconds_total.
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        // A gauge ending in _count reads as a histogram's or summary's part (promtool rejects it).
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
            }
        });
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9).baseUnit("seconds")
                    .description("CPU time used by the process").register(registry);
        }
        // The constant 1 with the version as a label: a panel or alert joins on it.
        Gauge.builder("cairn.build.info", () -> 1).tag("version", version == null ? "development" : version)
                .tag("java", Runtime.version().toString()).description("the running build; always 1").register(registry);
    }

    /** Open connections of a listener ("imap", "imaps", ...) and its {@code max_connections}. */
    static void listener(MeterRegistry registry, String listener, IntSupplier open, int max) {
        Gauge.builder("cairn.connections.open", open::getAsInt).tag("listener", listener)
                .description("connections open on the listener").register(registry);
        Gauge.builder("cairn.connections.max", () -> max).tag("listener", listener)
                .description("the listener's max_connections").register(registry);
    }

    /**
     * Logins of one protocol counted by result: {@code cairn_auth_attempts_total{protocol,result}}.
     * The result is the {@link AuthResult} as the client sees it (a replica's refusal of a good
     * password is {@code temporary_failure}).
     */
    static Authenticator counting(MeterRegistry registry, String protocol, Authenticator auth) {
        java.util.Map<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.function.Function<String, Counter> counter = result -> counters.computeIfAbsent(result, r ->
                Counter.builder("cairn.auth.attempts").tag("protocol", protocol).tag("result", r)
                        .description("logins tried, by protocol and result").register(registry));
        counter.apply("success");
        for (AuthResult.Reason r : AuthResult.Reason.values()) counter.apply(tag(r));
        java.util.function.UnaryOperator<AuthResult> counted = r -> {
            counter.apply(switch (r) {
                case AuthResult.Success s -> "success";
                case AuthResult.Failure f -> tag(f.reason());
            }).increment();
            return r;
        };
        return new Authenticator() {
            @Override public AuthResult authenticate(String authcid, String password, String authzid, java.net.InetAddress remote,
                                                     boolean secure) {
                return counted.apply(auth.authenticate(authcid, password, authzid, remote, secure));
            }

            /** A front-end's login for a user (issue 21) counts like the user's own. */
            @Override public AuthResult proxied(String user) {
                return counted.apply(auth.proxied(user));
            }
        };
    }

    private static String tag(AuthResult.Reason reason) {
        return reason.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void close() {
        gc.close();
    }
}
