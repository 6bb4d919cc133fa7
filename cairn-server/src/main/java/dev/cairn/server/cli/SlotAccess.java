// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.AdminServer;
import dev.cairn.server.CheckReports;
import dev.cairn.server.Node;
import dev.cairn.server.RunFile;
import dev.cairn.server.config.NodeConfig;
import dev.cairn.store.CheckReport;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * Store operations of the CLI. RocksDB lets one process open a slot: when a server runs on the
 * data directory (its run file names a live admin endpoint), the operation runs inside it over
 * admin HTTP; otherwise the CLI opens the slot itself.
 */
final class SlotAccess {
    /** What the operation printed, and whether it left the store as it should be. */
    record Outcome(String text, boolean ok) {}

    private SlotAccess() {}

    static Outcome check(NodeConfig config, String user, boolean repair) throws IOException, InterruptedException {
        String query = "repair=" + repair + (user == null ? "" : "&user=" + URLEncoder.encode(user, StandardCharsets.UTF_8));
        Optional<Outcome> remote = viaServer(config, "/check?" + query,
                response -> new Outcome(response.body(), response.statusCode() == 200));
        if (remote.isPresent()) {
            return remote.get();
        }
        return direct(config, store -> {
            CheckReport report = store.check(user, repair);
            return new Outcome(CheckReports.format(report, repair), report.clean());
        });
    }

    /** Removes the user's mail from the slot; ok=false when the slot had none. */
    static Outcome deleteUserData(NodeConfig config, String user) throws IOException, InterruptedException {
        Optional<Outcome> remote = viaServer(config, "/delete-user?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8),
                response -> new Outcome(response.body(), response.statusCode() == 200));
        if (remote.isPresent()) {
            return remote.get();
        }
        return direct(config, store -> {
            if (!store.hasUser(user)) {
                return new Outcome("no mail of " + user + " in the store\n", false);
            }
            store.deleteUser(user);
            return new Outcome("deleted the mail of " + user + "\n", true);
        });
    }

    private static Optional<Outcome> viaServer(NodeConfig config, String pathAndQuery,
                                               Function<HttpResponse<String>, Outcome> answer)
            throws IOException, InterruptedException {
        Optional<RunFile> run = RunFile.read(config.runFile());
        if (run.isEmpty()) {
            return Optional.empty();
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + run.get().admin() + pathAndQuery))
                .header("Authorization", "Bearer " + run.get().token())
                .timeout(Duration.ofHours(12))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 401 || response.statusCode() >= 500) {
                throw new IllegalStateException("the running server refused: " + response.statusCode() + " " + response.body().strip());
            }
            if (response.headers().firstValue(AdminServer.CHECK_CLEAN_HEADER).isEmpty()
                    && response.statusCode() != 200 && response.statusCode() != 404) {
                throw new IllegalStateException("unexpected answer from the server: " + response.statusCode());
            }
            return Optional.of(answer.apply(response));
        } catch (ConnectException e) {
            if (run.get().processAlive()) {
                throw new IllegalStateException("a server (pid " + run.get().pid() + ") runs on " + config.data()
                        + " but its admin endpoint " + run.get().admin() + " does not answer");
            }
            return Optional.empty(); // a run file left by a server that died: open the slot here.
        }
    }

    private static Outcome direct(NodeConfig config, Function<SlotStore, Outcome> work) throws IOException {
        Node.createLayout(config);
        SlotStore store;
        try {
            store = SlotStore.open(Node.slotConfig(config, QuotaPolicy.UNLIMITED, new SimpleMeterRegistry()));
        } catch (StoreException e) {
            throw new IllegalStateException("cannot open the slot at " + config.metadataDir() + ": " + e.getMessage()
                    + " (a server without admin endpoint running on it?)", e);
        }
        try (store) {
            return work.apply(store);
        }
    }
}
