// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.RunFile;
import dev.cairn.server.config.NodeConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;

/**
 * Talks to a running node's admin endpoint (found through the run file in its data directory).
 * An answer the command does not expect is an error in one line: the first line of its body.
 */
final class AdminClient {
    record Answer(int status, String body) {
        boolean ok() { return status == 200; }
    }

    private AdminClient() {}

    /** A call that must be answered 200: anything else throws with the body's words. */
    static Answer call(NodeConfig config, String method, String pathAndQuery) throws IOException, InterruptedException {
        RunFile run = RunFile.read(config.runFile()).orElseThrow(() -> new IllegalStateException(
                "no node runs on " + config.data().toAbsolutePath().normalize() + " (no " + config.runFile().getFileName()
                        + "; start one with `cairn serve`, or give its --data or --config)"));
        try {
            HttpResponse<String> r = send(run, method, pathAndQuery, Duration.ofMinutes(10), Set.of(200));
            return new Answer(r.statusCode(), r.body());
        } catch (ConnectException e) {
            throw new IllegalStateException("the node's admin endpoint " + run.admin() + " does not answer"
                    + (run.processAlive() ? "" : " (its pid " + run.pid() + " is gone: the node died; "
                    + config.runFile().getFileName() + " is left over)"));
        }
    }

    /**
     * Sends one request with the node's token. A status outside {@code expected} throws: 404 for
     * /replication/... means the node runs without replication.
     */
    static HttpResponse<String> send(RunFile run, String method, String pathAndQuery, Duration timeout, Set<Integer> expected)
            throws IOException, InterruptedException {
        return send(run.admin(), run.token(), "the node (pid " + run.pid() + ")", method, pathAndQuery, timeout, expected);
    }

    /**
     * The same to the endpoint at {@code admin} (host:port) with {@code token}: another node's,
     * found in its registration, with the cluster token ({@code ClusterToken}).
     */
    static HttpResponse<String> send(String admin, String token, String who, String method, String pathAndQuery, Duration timeout,
                                     Set<Integer> expected) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + admin + pathAndQuery))
                .header("Authorization", "Bearer " + token).timeout(timeout);
        HttpRequest request = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.noBody()).build() : b.GET().build();
        HttpResponse<String> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw e;
        } catch (IOException e) {
            // The endpoint took the request and closed without an answer: its log says why.
            throw new IOException("the node's admin endpoint " + admin + " closed the connection without an answer to "
                    + method + " " + path(pathAndQuery) + " (" + e.getMessage() + "; see the node's log)", e);
        }
        if (expected.contains(response.statusCode())) {
            return response;
        }
        String path = path(pathAndQuery);
        if (response.statusCode() == 404 && (path.startsWith("/replication/") || path.startsWith("/accounts/"))) {
            throw new IllegalStateException(who + " runs without replication: its config has no [replication]");
        }
        String body = response.body().strip();
        throw new IllegalStateException((body.isEmpty() ? "the node answered " + method + " " + path + " with "
                + response.statusCode() : body.lines().findFirst().orElseThrow()) + " (HTTP " + response.statusCode() + ")");
    }

    private static String path(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }
}
