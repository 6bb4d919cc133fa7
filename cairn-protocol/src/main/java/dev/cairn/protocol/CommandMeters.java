// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Commands of one protocol counted and timed by name: Prometheus
 * {@code cairn_commands_seconds{protocol,command}} (a histogram: _count is the number of commands).
 * The caller passes only names from a closed set (the parser's command types); anything else
 * becomes {@code other}, so a client inventing verbs cannot grow the label set.
 */
public final class CommandMeters {
    /** 7 buckets and +Inf per command: enough to tell 1 ms from 1 s, small enough per scrape. */
    private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25),
            Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10)};
    public static final String OTHER = "other";

    private final MeterRegistry registry;
    private final String protocol;
    private final java.util.Set<String> known;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    /** @param known the command names that get a label of their own */
    public CommandMeters(MeterRegistry registry, String protocol, java.util.Set<String> known) {
        this.registry = registry;
        this.protocol = protocol;
        this.known = java.util.Set.copyOf(known);
    }

    /** Counts nothing anyone reads: for servers started without a node's registry (tests, tools). */
    public static CommandMeters none(String protocol) {
        return new CommandMeters(new SimpleMeterRegistry(), protocol, java.util.Set.of());
    }

    /** One command of {@code name} (null: it did not parse) that took {@code nanos}. */
    public void record(String name, long nanos) {
        String label = name != null && known.contains(name) ? name : OTHER;
        timers.computeIfAbsent(label, n -> Timer.builder("cairn.commands").tag("protocol", protocol).tag("command", n)
                .description("commands handled, by protocol and command, and how long each took (IDLE: the whole idle)")
                .serviceLevelObjectives(BUCKETS).register(registry)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
}
