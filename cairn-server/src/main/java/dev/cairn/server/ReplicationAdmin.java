// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import com.sun.net.httpserver.HttpExchange;
import dev.cairn.replication.Replication;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replication's admin endpoints (same bearer token as /check):
 * <ul>
 *   <li>{@code GET /replication/status}: per store and channel: role, master, mode, epoch, degraded since when, users acknowledged, lag; per
 *       replica: connected or unreachable since when, lag in changes and seconds, its last Ack, why its last connection failed</li>
 *   <li>{@code POST /replication/promote?store=S[&force=true]}: makes this node's slot the store's master (new
 *       epoch); refused (409) for a replica that cannot show it is in sync unless forced, and then unclean: every
 *       mailbox gets a new UIDVALIDITY, one line each; refused (409) on a node of a cluster, whose promotions are the
 *       store map's</li>
 *   <li>{@code POST /replication/switch?store=S&to=NODE/SLOT[&budget_ms=N]}: a planned switchover of a store this node
 *       masters to one of its replicas; writes wait meanwhile (at most the budget, 30 s by default); 200 with the
 *       timings when done, 409 with why when abandoned (the master goes on)</li>
 *   <li>{@code POST /replication/resync?store=S[&user=U]}: copies the user (or every user) to the replicas again</li>
 *   <li>{@code GET /replication/report}: what reconciliation merged and which users were copied whole</li>
 *   <li>{@code POST /replication/prune}: prunes change logs below what every replica has</li>
 * </ul>
 */
final class ReplicationAdmin {
    private static final Logger log = LoggerFactory.getLogger(ReplicationAdmin.class);
    private static final String TEXT = "text/plain; charset=utf-8";

    private ReplicationAdmin() {}

    /** An endpoint's work: the query's parameters in (the admin endpoint takes no bodies), the answer's text out. */
    interface Body {
        String run(Map<String, String> query) throws Exception;
    }

    /** @param cluster whether the node follows a cluster's store map: a promotion is then the map's ({@code cairn store promote} writes it), never this endpoint's */
    static void register(AdminServer admin, Replication replication, String token, boolean cluster) {
        context(admin, token, "/replication/status", "GET", q -> {
            StringBuilder b = new StringBuilder();
            for (Replication.StoreStatus s : replication.status()) {
                b.append("store ").append(s.store()).append(" role=").append(s.role()).append(" master=").append(s.master())
                        .append(" replicas=").append(String.join(",", s.replicas())).append(" mode=").append(s.mode())
                        .append(" epoch=").append(s.epoch()).append(" tls=").append(replication.tls() ? "on" : "off");
                if (s.degraded() != null) b.append(" (").append(s.degraded()).append(')');
                b.append('\n');
                s.inSync().forEach((node, state) -> b.append("  ").append(s.role().equals("master") ? "replica=" : "self=")
                        .append(node).append(' ').append(state).append('\n'));
                for (Replication.ChannelStatus c : s.channels()) {
                    b.append("  replica=").append(c.replica()).append(" channel=").append(c.channel())
                            .append(c.connected() ? " connected" : " disconnected").append(" users=").append(c.users())
                            .append(" lag_changes=").append(c.lagChanges()).append(" lag_ms=").append(c.lagMillis()).append('\n');
                }
                for (Replication.ReplicaStatus r : s.links()) replicaLine(b, r);
            }
            return b.toString();
        });
        context(admin, token, "/replication/promote", "POST", q -> {
            String s = required(q, "store");
            boolean force = "true".equals(q.get("force"));
            if (cluster) {
                // A slot promoted behind the store map would be a master the map does not name (and the map's next change fences it).
                throw new IllegalStateException("this node follows the cluster's store map: `cairn store promote " + s
                        + " --config FILE` writes the map (and by force only with --force); the node then follows it");
            }
            log.warn("admin: promoting store {} to master here{}", s, force ? " (--force)" : "");
            return String.join("\n", replication.promote(s, force).lines()) + "\n";
        });
        context(admin, token, "/replication/switch", "POST", q -> {
            String s = required(q, "store");
            var to = dev.cairn.replication.ReplicationConfig.SlotRef.parse(required(q, "to"));
            String ms = q.get("budget_ms");
            java.time.Duration budget = java.time.Duration.ofMillis(ms == null || ms.isEmpty() ? 30_000 : Long.parseLong(ms));
            log.warn("admin: switching store {} over to {} (budget {})", s, to, budget);
            var r = replication.switchOver(s, to, budget);
            String text = String.join("\n", r.lines()) + "\n";
            if (!r.done()) throw new IllegalStateException(text.strip());
            return text;
        });
        context(admin, token, "/replication/resync", "POST", q -> {
            String s = required(q, "store"), user = q.get("user");
            replication.resync(s, user == null || user.isEmpty() ? null : user);
            return "resync of " + (user == null ? "every user" : user) + " of store " + s + " queued\n";
        });
        context(admin, token, "/replication/report", "GET", q -> String.join("\n", replication.report()) + "\n");
        context(admin, token, "/replication/prune", "POST", q -> "pruned the logs of " + replication.prune() + " user(s)\n");
    }

    /**
     * "  replica n2 connected since 2026-12-07T00:40:00Z channels=8/8 lag_changes=0 lag_seconds=0.000
     * last_ack=2026-12-07T00:41:02Z", or "unreachable since ... last_failure=...": all the replica's channels together.
     */
    private static void replicaLine(StringBuilder b, Replication.ReplicaStatus r) {
        b.append("  replica ").append(r.replica()).append(r.connected() ? " connected" : " unreachable").append(" since ")
                .append(r.since().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                .append(" channels=").append(r.channelsUp()).append('/').append(r.channels())
                .append(" lag_changes=").append(r.lagChanges())
                .append(" lag_seconds=").append(String.format(java.util.Locale.ROOT, "%.3f", r.lagMillis() / 1000.0))
                .append(" last_ack=").append(r.lastAck() == null ? "never" : r.lastAck().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        if (r.lastFailure() != null && !r.connected()) b.append(" last_failure=\"").append(r.lastFailure().replace("\"", "'")).append('"');
        b.append('\n');
    }

    static String required(Map<String, String> q, String key) {
        String v = q.get(key);
        if (v == null || v.isEmpty()) throw new IllegalArgumentException(key + "= is missing");
        return v;
    }

    /**
     * Registers an endpoint behind the bearer token: 405 for another method, 401 without the
     * token, 409 with the message of an IllegalArgumentException, IllegalStateException or
     * DirectoryException (what the `cairn` command prints), 500 for anything else.
     */
    static void context(AdminServer admin, String token, String path, String method, Body body) {
        context(admin, token, path, method, TEXT, body);
    }

    /** The same, with an answer of another type than text (its 200 answer only: refusals are text). */
    static void context(AdminServer admin, String token, String path, String method, String contentType, Body body) {
        context(admin, exchange -> authorized(exchange, token), path, method, contentType, body);
    }

    /**
     * The same behind either the node's own token or the cluster token ({@link ClusterToken}): an
     * endpoint `cairn` may call with any node's config ({@link DrainAdmin}).
     */
    static void clusterContext(AdminServer admin, String nodeToken, String clusterToken, String path, String method, Body body) {
        // Both compared (constant time each), so the answer's timing does not tell which one came close.
        context(admin, exchange -> authorized(exchange, nodeToken) | authorized(exchange, clusterToken), path, method, TEXT, body);
    }

    private static void context(AdminServer admin, java.util.function.Predicate<HttpExchange> authorized, String path, String method,
                                String contentType, Body body) {
        admin.context(path, exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals(method)) {
                    respond(exchange, 405, "use " + method + "\n");
                } else if (!authorized.test(exchange)) {
                    respond(exchange, 401, "admin token missing or wrong (see data/server.properties)\n");
                } else {
                    try {
                        String answer = body.run(query(exchange));
                        // Node state, never to be served again from a cache.
                        exchange.getResponseHeaders().set("Cache-Control", "no-store");
                        respond(exchange, 200, answer, contentType);
                    } catch (IllegalArgumentException | IllegalStateException | dev.cairn.directory.DirectoryException e) {
                        respond(exchange, 409, e.getMessage() + "\n");
                    } catch (Exception e) {
                        log.warn("admin: {} failed", path, e);
                        respond(exchange, 500, "failed: " + e.getMessage() + "\n");
                    }
                }
            }
        });
    }

    static boolean authorized(HttpExchange exchange, String token) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
                ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> result = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) return result;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            result.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return result;
    }

    static void respond(HttpExchange exchange, int status, String body) throws IOException {
        respond(exchange, status, body, TEXT);
    }

    private static void respond(HttpExchange exchange, int status, String body, String contentType) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
