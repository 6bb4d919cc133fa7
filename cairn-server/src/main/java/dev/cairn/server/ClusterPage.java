// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.server.cluster.ClusterJson;
import dev.cairn.server.cluster.ClusterView;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The admin page: the cluster at a glance (nodes, slots, stores, masters, in-sync sets, lag, the
 * last failovers), updating twice a second.
 * <ul>
 *   <li>{@code GET /ui/}: the page (HTML, a script and a style sheet from the jar; no framework,
 *       nothing fetched from elsewhere). Public: it holds no data.</li>
 *   <li>{@code GET /cluster/state}: the {@link ClusterView}'s snapshot as JSON ({@link ClusterJson});
 *       needs the admin token like every other command ({@code Authorization: Bearer}).</li>
 * </ul>
 * The page asks for the token once and keeps it in the tab's {@code sessionStorage} (gone when the
 * tab closes); it also takes it from the address's fragment, {@code /ui/#token=...}, which a
 * browser never sends to the server (so it is in no request line and no log), and removes it from
 * the address bar at once. The page polls rather than streams: the admin server answers one
 * request per connection, buffered, and a held connection would take one of its few threads.
 */
final class ClusterPage {
    /** The page's files: name in the jar, type. Nothing else under /ui/ is served. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "cluster.js", "text/javascript; charset=utf-8",
            "cluster.css", "text/css; charset=utf-8");
    /**
     * The page runs only its own script and style, talks only to this endpoint, and cannot be
     * framed: a name that slipped past the page's text-only insertion still could not run code.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private ClusterPage() {}

    static void register(AdminServer admin, String token, ClusterView view) {
        Map<String, byte[]> files = new java.util.HashMap<>();
        for (String name : FILES.keySet()) files.put(name, resource(name));
        admin.context("/ui", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                String name = path.equals("/ui") || path.equals("/ui/") ? "index.html" : path.startsWith("/ui/") ? path.substring(4) : "";
                byte[] body = files.get(name);
                var headers = exchange.getResponseHeaders();
                if (!exchange.getRequestMethod().equals("GET")) {
                    headers.set("Allow", "GET");
                    text(exchange, 405, "use GET\n");
                } else if (body == null) {
                    text(exchange, 404, "not found\n");
                } else {
                    headers.set("Content-Type", FILES.get(name));
                    headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
                    headers.set("X-Content-Type-Options", "nosniff");
                    headers.set("Referrer-Policy", "no-referrer");
                    headers.set("Cache-Control", "no-cache");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                }
            }
        });
        ReplicationAdmin.context(admin, token, "/cluster/state", "GET", "application/json; charset=utf-8",
                q -> ClusterJson.write(view.snapshot()));
    }

    private static void text(com.sun.net.httpserver.HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = ClusterPage.class.getResourceAsStream("cluster/" + name)) {
            if (in == null) throw new IllegalStateException("the admin page's " + name + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
