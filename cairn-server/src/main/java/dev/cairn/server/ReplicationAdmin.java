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
 *   <li>{@code GET /replication/status}: per store and channel: role, master, mode, epoch, degraded since when, users acknowledged, lag</li>
 *   <li>{@code POST /replication/promote?store=S}: makes this node's slot the store's master (new epoch)</li>
 *   <li>{@code POST /replication/resync?store=S[&user=U]}: copies the user (or every user) to the replicas again</li>
 *   <li>{@code GET /replication/report}: what reconciliation merged and which users were copied whole</li>
 *   <li>{@code POST /replication/prune}: prunes change logs below what every replica has</li>
 * </ul>
 */
final class ReplicationAdmin {
    private static final Logger log = LoggerFactory.getLogger(ReplicationAdmin.class);

    private ReplicationAdmin() {}

    private interface Body {
        String run(Map<String, String> query) throws Exception;
    }

    static void register(AdminServer admin, Replication replication, String token) {
        context(admin, token, "/replication/status", "GET", q -> {
            StringBuilder b = new StringBuilder();
            for (Replication.StoreStatus s : replication.status()) {
                b.append("store ").append(s.store()).append(" role=").append(s.role()).append(" master=").append(s.master())
                        .append(" replicas=").append(String.join(",", s.replicas())).append(" mode=").append(s.mode())
                        .append(" epoch=").append(s.epoch()).append(" tls=").append(replication.tls() ? "on" : "off");
                if (s.degraded() != null) b.append(" (").append(s.degraded()).append(')');
                b.append('\n');
                for (Replication.ChannelStatus c : s.channels()) {
                    b.append("  replica=").append(c.replica()).append(" channel=").append(c.channel())
                            .append(c.connected() ? " connected" : " disconnected").append(" users=").append(c.users())
                            .append(" lag_changes=").append(c.lagChanges()).append(" lag_ms=").append(c.lagMillis()).append('\n');
                }
            }
            return b.toString();
        });
        context(admin, token, "/replication/promote", "POST", q -> {
            String s = required(q, "store");
            log.warn("admin: promoting store {} to master here", s);
            return "store " + s + " is now mastered here at epoch " + replication.promote(s) + "\n";
        });
        context(admin, token, "/replication/resync", "POST", q -> {
            String s = required(q, "store"), user = q.get("user");
            replication.resync(s, user == null || user.isEmpty() ? null : user);
            return "resync of " + (user == null ? "every user" : user) + " of store " + s + " queued\n";
        });
        context(admin, token, "/replication/report", "GET", q -> String.join("\n", replication.report()) + "\n");
        context(admin, token, "/replication/prune", "POST", q -> "pruned the logs of " + replication.prune() + " user(s)\n");
    }

    private static String required(Map<String, String> q, String key) {
        String v = q.get(key);
        if (v == null || v.isEmpty()) throw new IllegalArgumentException(key + "= is missing");
        return v;
    }

    private static void context(AdminServer admin, String token, String path, String method, Body body) {
        admin.context(path, exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals(method)) {
                    respond(exchange, 405, "use " + method + "\n");
                } else if (!authorized(exchange, token)) {
                    respond(exchange, 401, "admin token missing or wrong (see data/server.properties)\n");
                } else {
                    try {
                        respond(exchange, 200, body.run(query(exchange)));
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        respond(exchange, 409, e.getMessage() + "\n");
                    } catch (Exception e) {
                        log.warn("admin: {} failed", path, e);
                        respond(exchange, 500, "failed: " + e.getMessage() + "\n");
                    }
                }
            }
        });
    }

    private static boolean authorized(HttpExchange exchange, String token) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
                ("Bearer " + token).getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(HttpExchange exchange) {
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

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
