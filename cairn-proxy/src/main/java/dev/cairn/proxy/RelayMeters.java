// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The relay's metrics (issue 21). Labels stay bounded: node names of the cluster, the two
 * protocols, the fixed failure reasons.
 * <ul>
 *   <li>{@code cairn_proxy_backend_connections{node,protocol}}: relayed sessions open now</li>
 *   <li>{@code cairn_proxy_relay_bytes_total{direction,protocol}}: to_backend, to_client</li>
 *   <li>{@code cairn_proxy_login_route_seconds{protocol}}: locating the user and logging in on its back-end</li>
 *   <li>{@code cairn_proxy_route_failures_total{protocol,reason}}: nowhere, connect, login_refused, timeout</li>
 * </ul>
 */
final class RelayMeters {
    /** Why a login could not be relayed: the {@code reason} label. */
    enum Failure {
        NOWHERE, CONNECT, LOGIN_REFUSED, TIMEOUT;

        String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    private final MeterRegistry registry;
    private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytes = new ConcurrentHashMap<>();
    private final Map<String, Timer> routeTimes = new ConcurrentHashMap<>();
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();

    RelayMeters(MeterRegistry registry) { this.registry = registry; }

    /** The gauge of open relayed sessions to {@code node} over {@code protocol}. */
    AtomicInteger openSessions(String node, String protocol) {
        return open.computeIfAbsent(node + "\0" + protocol, k -> {
            AtomicInteger n = new AtomicInteger();
            Gauge.builder("cairn.proxy.backend.connections", n, AtomicInteger::get)
                    .description("sessions relayed to a back-end now").tag("node", node).tag("protocol", protocol)
                    .register(registry);
            return n;
        });
    }

    /** {@code toBackend}: from the client to the back-end; else the other way. */
    Counter bytes(String protocol, boolean toBackend) {
        String direction = toBackend ? "to_backend" : "to_client";
        return bytes.computeIfAbsent(direction + "\0" + protocol, k -> Counter.builder("cairn.proxy.relay.bytes")
                .description("octets relayed between clients and back-ends").baseUnit("bytes")
                .tag("direction", direction).tag("protocol", protocol).register(registry));
    }

    Timer routeTime(String protocol) {
        return routeTimes.computeIfAbsent(protocol, p -> Timer.builder("cairn.proxy.login.route")
                .description("locating a user's back-end and logging in there").tag("protocol", p).register(registry));
    }

    void failed(String protocol, Failure reason) {
        failures.computeIfAbsent(protocol + "\0" + reason, k -> Counter.builder("cairn.proxy.route.failures")
                .description("logins that could not be relayed, by reason").tag("protocol", protocol)
                .tag("reason", reason.label()).register(registry)).increment();
    }
}
