// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The real `./cairn serve` as an operator starts it, stopped with SIGTERM. */
class LauncherIT {
    private static final Pattern SERVING = Pattern.compile("ServeCommand: serving ");
    private static final Pattern ADMIN = Pattern.compile("admin: listening on http://([^/]+)/");

    @TempDir Path data;

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isRegularFile(dir.resolve("cairn")) && Files.isRegularFile(dir.resolve("pom.xml")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no ./cairn launcher above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    @Test
    void serveAnswersHealthAndExitsZeroOnSigterm() throws Exception {
        Path root = repositoryRoot();
        Process process = new ProcessBuilder(root.resolve("cairn").toString(), "serve", "--data", data.toString(),
                "--imap", "127.0.0.1:0", "--pop3", "127.0.0.1:0", "--lmtp", "127.0.0.1:0", "--admin", "127.0.0.1:0")
                .directory(root.toFile())
                .redirectErrorStream(true)
                .start();
        List<String> output = new CopyOnWriteArrayList<>();
        CompletableFuture<String> admin = new CompletableFuture<>();
        // The admin listener starts before the protocols: /health says 200 once the node logs that it serves.
        CompletableFuture<Void> serving = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    Matcher m = ADMIN.matcher(line);
                    if (m.find()) {
                        admin.complete(m.group(1));
                    }
                    if (SERVING.matcher(line).find()) serving.complete(null);
                }
            } catch (Exception e) {
                admin.completeExceptionally(e);
            }
            admin.completeExceptionally(new IllegalStateException("serve printed no admin address"));
            serving.completeExceptionally(new IllegalStateException("serve never said it serves"));
        });
        try {
            String address = admin.get(180, TimeUnit.SECONDS);
            serving.get(60, TimeUnit.SECONDS);
            try (HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://" + address + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
            }
            assertThat(Files.exists(data.resolve("server.properties"))).isTrue();

            // SIGTERM. Not Process.destroy(): it also closes our end of the output pipe, and the
            // lines the server logs while stopping would be lost.
            assertThat(process.toHandle().destroy()).isTrue();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
            reader.join(10_000);
            String log = String.join("\n", output);
            assertThat(process.exitValue()).as(log).isZero();
            assertThat(output).as(log).anyMatch(l -> l.contains("store: closed cleanly"));
            assertThat(output).as(log).anyMatch(l -> l.contains("stopped"));
            assertThat(output).as(log).noneMatch(l -> l.contains("Exception"));
            assertThat(Files.exists(data.resolve("server.properties"))).isFalse();
        } finally {
            process.destroyForcibly();
        }
    }
}
