// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The master's gauges of one replica of a store (tags store and replica), read from its status at
 * each scrape. Prometheus names: {@code cairn_replication_replica_connected},
 * {@code cairn_replication_replica_state_change_timestamp_seconds},
 * {@code cairn_replication_replica_lag_changes}, {@code cairn_replication_replica_lag_seconds},
 * {@code cairn_replication_replica_last_ack_timestamp_seconds}. They hold the status function
 * strongly (nothing else keeps it) and leave the registry when the store stops being mastered here.
 */
final class ReplicaMeters {
    private ReplicaMeters() {}

    /** The store's own gauges on its master: sync, degraded, lag in changes and seconds (Prometheus {@code cairn_replication_lag_seconds}). */
    static Runnable registerStore(MeterRegistry meters, String store, StoreMaster m) {
        List<Meter> registered = List.of(Gauge.builder("cairn.replication.sync", m, x -> x.syncActive() ? 1 : 0).tag("store", store)
                .description("1 while commits wait for a replica (sync mode, not fallen back)").register(meters),
                Gauge.builder("cairn.replication.degraded", m, x -> x.degraded() ? 1 : 0).tag("store", store)
                .description("1 while no replica takes the store's writes (degraded, or refusing them with on_replica_loss = refuse)")
                .register(meters),
                Gauge.builder("cairn.replication.lag.changes", m, x -> x.lagChanges()).tag("store", store)
                .description("changes the most-behind replica has not acknowledged").register(meters),
                Gauge.builder("cairn.replication.lag", m, x -> x.lagMillis() / 1000.0).tag("store", store).baseUnit("seconds")
                .description("age of the oldest commit a replica has not acknowledged").register(meters));
        return () -> registered.forEach(meters::remove);
    }

    /** @return a way to remove them again */
    static Runnable register(MeterRegistry meters, String store, String replica, Supplier<Replication.ReplicaStatus> status) {
        List<Meter> registered = List.of(
                gauge(meters, store, replica, status, "cairn.replication.replica.connected", null,
                        "1 while at least one channel to the replica is connected", s -> s.connected() ? 1 : 0),
                gauge(meters, store, replica, status, "cairn.replication.replica.state.change.timestamp", "seconds",
                        "when the replica last became connected or unreachable (Unix time)", s -> seconds(s.since())),
                gauge(meters, store, replica, status, "cairn.replication.replica.lag.changes", null,
                        "changes this master has that the replica has not acknowledged", Replication.ReplicaStatus::lagChanges),
                gauge(meters, store, replica, status, "cairn.replication.replica.lag", "seconds",
                        "age of the oldest commit the replica has not acknowledged", s -> s.lagMillis() / 1000.0),
                gauge(meters, store, replica, status, "cairn.replication.replica.last.ack.timestamp", "seconds",
                        "when the replica last acknowledged a frame (Unix time; 0: not since this node started)", s -> seconds(s.lastAck())));
        return () -> registered.forEach(meters::remove);
    }

    private static Meter gauge(MeterRegistry meters, String store, String replica, Supplier<Replication.ReplicaStatus> status,
                               String name, String unit, String help, ToDoubleFunction<Replication.ReplicaStatus> value) {
        return Gauge.builder(name, status, s -> value.applyAsDouble(s.get())).tag("store", store).tag("replica", replica)
                .baseUnit(unit).description(help).strongReference(true).register(meters);
    }

    private static double seconds(Instant t) { return t == null ? 0 : t.toEpochMilli() / 1000.0; }
}
