// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.cairn.store.CheckReport;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The node's admin HTTP endpoint. It must answer while the protocols are under load, so it shares
 * nothing with them: its own small server ({@link AdminHttp}) reads requests on a thread of its
 * own without blocking and runs the handlers on a few platform threads of its own, never on the
 * virtual-thread carriers that a protocol's CPU-bound work can hold. A handler that fails answers
 * 500 and the endpoint goes on; only an error that means the JVM itself is broken
 * ({@link FatalErrors}) escapes.
 *
 * <ul>
 *   <li>{@code GET /health}: liveness; 200 while the node serves, 503 once it is stopping</li>
 *   <li>{@code GET /ready}: readiness for a load balancer; 200 with {@code master} or {@code single}
 *       when this node serves logins, 503 with {@code replica} when it refuses them (a replica or a
 *       fenced master) and with {@code stopping} once it stops ({@link NodeRole})</li>
 *   <li>{@code GET /metrics}: every meter in the Prometheus text format</li>
 *   <li>{@code POST /check?user=U&repair=true}: runs the store checker inside the node (RocksDB
 *       lets one process open a slot); needs {@code Authorization: Bearer <token>} from
 *       {@code data/server.properties}. 200 with the report when clean, 409 when problems remain</li>
 *   <li>{@code POST /delete-user?user=U}: removes a deleted user's mail (same token); 404 when there is none</li>
 *   <li>{@code GET /ui/} and {@code GET /cluster/state}: the cluster page and its data ({@link ClusterPage})</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    public static final String CHECK_CLEAN_HEADER = "Cairn-Check-Clean";

    private final AdminHttp http;

    private AdminServer(AdminHttp http) {
        this.http = http;
    }

    public static AdminServer start(InetSocketAddress address, PrometheusMeterRegistry registry, SlotStore store,
                                    String token, BooleanSupplier serving) throws IOException {
        return start(address, registry, store, token, serving, () -> NodeRole.SINGLE);
    }

    public static AdminServer start(InetSocketAddress address, PrometheusMeterRegistry registry, SlotStore store,
                                    String token, BooleanSupplier serving, Supplier<NodeRole> role) throws IOException {
        AdminHttp http = new AdminHttp(address);
        AdminServer admin = new AdminServer(http);
        admin.health(serving);
        admin.context("/ready", exchange -> handle(exchange, "GET", () -> {
            if (!serving.getAsBoolean()) {
                respond(exchange, 503, "stopping\n", "text/plain; charset=utf-8");
                return;
            }
            NodeRole r = role.get();
            respond(exchange, r.servesLogins() ? 200 : 503, r.word() + "\n", "text/plain; charset=utf-8");
        }));
        admin.metrics(registry);
        admin.context("/check", exchange -> handle(exchange, "POST", () -> {
            if (!authorized(exchange, token)) {
                respond(exchange, 401, "admin token missing or wrong (see data/server.properties)\n", "text/plain; charset=utf-8");
                return;
            }
            Map<String, String> query = query(exchange);
            String user = query.get("user");
            boolean repair = Boolean.parseBoolean(query.getOrDefault("repair", "false"));
            log.info("admin: check {}{}", user == null ? "all users" : "user " + user, repair ? " with repair" : "");
            CheckReport report = store.check(user == null || user.isEmpty() ? null : user, repair);
            exchange.getResponseHeaders().set(CHECK_CLEAN_HEADER, Boolean.toString(report.clean()));
            respond(exchange, report.clean() ? 200 : 409, CheckReports.format(report, repair), "text/plain; charset=utf-8");
        }));
        admin.context("/delete-user", exchange -> handle(exchange, "POST", () -> {
            if (!authorized(exchange, token)) {
                respond(exchange, 401, "admin token missing or wrong (see data/server.properties)\n", "text/plain; charset=utf-8");
                return;
            }
            String user = query(exchange).get("user");
            if (user == null || user.isEmpty()) {
                respond(exchange, 400, "user= is missing\n", "text/plain; charset=utf-8");
            } else if (!store.hasUser(user)) {
                respond(exchange, 404, "no mail of " + user + " in the store\n", "text/plain; charset=utf-8");
            } else {
                log.info("admin: deleting the mail of {}", user);
                store.deleteUser(user);
                respond(exchange, 200, "deleted the mail of " + user + "\n", "text/plain; charset=utf-8");
            }
        }));
        admin.context("/", exchange -> handle(exchange, "GET", () ->
                respond(exchange, exchange.getRequestURI().getPath().equals("/") ? 200 : 404,
                        "cairn admin: GET /health, GET /ready, GET /metrics, POST /check, POST /delete-user, POST /reload, GET /cluster/state;\n"
                                + "the cluster page: GET /ui/\n", "text/plain; charset=utf-8")));
        http.start();
        return admin;
    }

    /**
     * A front-end's ({@code cairn proxy}, issue 21): {@code /health} and {@code /metrics}; it holds no
     * mail to check ({@link Frontend} adds {@code POST /reload}).
     */
    static AdminServer startFrontend(InetSocketAddress address, PrometheusMeterRegistry registry, BooleanSupplier serving) throws IOException {
        AdminHttp http = new AdminHttp(address);
        AdminServer admin = new AdminServer(http);
        admin.health(serving);
        admin.metrics(registry);
        admin.context("/", exchange -> handle(exchange, "GET", () -> respond(exchange, exchange.getRequestURI().getPath().equals("/") ? 200 : 404,
                "cairn proxy admin: GET /health, GET /metrics, POST /reload\n", "text/plain; charset=utf-8")));
        http.start();
        return admin;
    }

    private void health(BooleanSupplier serving) {
        context("/health", exchange -> handle(exchange, "GET", () -> {
            boolean up = serving.getAsBoolean();
            respond(exchange, up ? 200 : 503, up ? "serving\n" : "stopping\n", "text/plain; charset=utf-8");
        }));
    }

    private void metrics(PrometheusMeterRegistry registry) {
        context("/metrics", exchange -> handle(exchange, "GET", () ->
                respond(exchange, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8")));
    }

    /**
     * Serves a path; also for endpoints of other parts of the node (replication). Whatever the
     * handler throws, short of a broken JVM, is logged and answered with 500, and the exchange is
     * closed, so neither the client nor the thread is left hanging.
     */
    void context(String path, HttpHandler handler) {
        http.context(path, exchange -> {
            // Not try-with-resources: its close would come before the catch, and the 500 after it.
            try {
                handler.handle(exchange);
            } catch (IOException e) {
                log.debug("admin: {} {}: {}", exchange.getRequestMethod(), path, e.toString()); // the client went away
            } catch (Throwable e) {
                if (FatalErrors.isFatal(e)) throw e;
                if (e instanceof StoreException se && se.reason() == StoreException.Reason.NO_SUCH_USER) {
                    respond(exchange, 404, e.getMessage() + "\n", "text/plain; charset=utf-8");
                    return;
                }
                log.warn("admin: {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
                try {
                    respond(exchange, 500, "failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()) + "\n",
                            "text/plain; charset=utf-8");
                } catch (IOException | RuntimeException ignored) {
                    // The response had begun; the client sees a cut connection.
                }
            } finally {
                exchange.close();
            }
        });
    }

    public InetSocketAddress address() {
        return http.address();
    }

    private interface Handler {
        void run() throws IOException;
    }

    private static void handle(HttpExchange exchange, String method, Handler handler) throws IOException {
        if (!exchange.getRequestMethod().equals(method)) {
            exchange.getResponseHeaders().set("Allow", method);
            respond(exchange, 405, "use " + method + "\n", "text/plain; charset=utf-8");
            return;
        }
        handler.run();
    }

    private static boolean authorized(HttpExchange exchange, String token) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String expected = "Bearer " + token;
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> result = new HashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw == null) {
            return result;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            result.put(key, value);
        }
        return result;
    }

    private static void respond(HttpExchange exchange, int status, String body, String contentType) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
