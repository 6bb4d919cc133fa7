// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The node's admin HTTP endpoint (JDK HttpServer, one virtual thread per request).
 *
 * <ul>
 *   <li>{@code GET /health}: 200 while the node serves, 503 once it is stopping</li>
 *   <li>{@code GET /metrics}: every meter in the Prometheus text format</li>
 *   <li>{@code POST /check?user=U&repair=true}: runs the store checker inside the node (RocksDB
 *       lets one process open a slot); needs {@code Authorization: Bearer <token>} from
 *       {@code data/server.properties}. 200 with the report when clean, 409 when problems remain</li>
 *   <li>{@code POST /delete-user?user=U}: removes a deleted user's mail (same token); 404 when there is none</li>
 * </ul>
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    public static final String CHECK_CLEAN_HEADER = "Cairn-Check-Clean";

    private final HttpServer http;
    private final ExecutorService executor;

    private AdminServer(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    public static AdminServer start(InetSocketAddress address, PrometheusMeterRegistry registry, SlotStore store,
                                    String token, BooleanSupplier serving) throws IOException {
        HttpServer http = HttpServer.create(address, 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/health", exchange -> handle(exchange, "GET", () -> {
            boolean up = serving.getAsBoolean();
            respond(exchange, up ? 200 : 503, up ? "serving\n" : "stopping\n", "text/plain; charset=utf-8");
        }));
        http.createContext("/metrics", exchange -> handle(exchange, "GET", () ->
                respond(exchange, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8")));
        http.createContext("/check", exchange -> handle(exchange, "POST", () -> {
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
        http.createContext("/delete-user", exchange -> handle(exchange, "POST", () -> {
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
        http.createContext("/", exchange -> handle(exchange, "GET", () ->
                respond(exchange, exchange.getRequestURI().getPath().equals("/") ? 200 : 404,
                        "cairn admin: GET /health, GET /metrics, POST /check, POST /delete-user\n", "text/plain; charset=utf-8")));
        http.start();
        return new AdminServer(http, executor);
    }

    /** For endpoints registered by other parts of the node (replication). */
    HttpServer http() {
        return http;
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    private interface Handler {
        void run() throws IOException;
    }

    /** Runs the handler; every request gets a status and a body, also when the handler fails. */
    private static void handle(HttpExchange exchange, String method, Handler handler) throws IOException {
        try (exchange) {
            try {
                if (!exchange.getRequestMethod().equals(method)) {
                    exchange.getResponseHeaders().set("Allow", method);
                    respond(exchange, 405, "use " + method + "\n", "text/plain; charset=utf-8");
                    return;
                }
                handler.run();
            } catch (RuntimeException e) {
                // Answered before the exchange closes (the try above): a client never sees a bare hang-up.
                if (e instanceof StoreException se && se.reason() == StoreException.Reason.NO_SUCH_USER) {
                    respond(exchange, 404, e.getMessage() + "\n", "text/plain; charset=utf-8");
                    return;
                }
                log.warn("admin: {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
                try {
                    respond(exchange, 500, "failed: " + e.getMessage() + "\n", "text/plain; charset=utf-8");
                } catch (IOException | RuntimeException ignored) {
                    // The response had begun; the client sees a cut connection.
                }
            }
        }
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
        http.stop(1);
        executor.shutdownNow();
    }
}
