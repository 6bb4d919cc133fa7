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

/** Talks to a running node's admin endpoint (found through the run file in its data directory). */
final class AdminClient {
    record Answer(int status, String body) {
        boolean ok() { return status == 200; }
    }

    private AdminClient() {}

    static Answer call(NodeConfig config, String method, String pathAndQuery) throws IOException, InterruptedException {
        RunFile run = RunFile.read(config.runFile()).orElseThrow(() -> new IllegalStateException(
                "no server runs on " + config.data() + " (no " + config.runFile().getFileName() + ")"));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + run.admin() + pathAndQuery))
                .header("Authorization", "Bearer " + run.token()).timeout(Duration.ofMinutes(10));
        HttpRequest request = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.noBody()).build() : b.GET().build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (ConnectException e) {
            throw new IllegalStateException("the server's admin endpoint " + run.admin() + " does not answer");
        }
    }
}
