// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import dev.cairn.server.cli.CairnCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin endpoint of a node whose IMAP listener is flooded (hundreds of connections, each
 * sending a command a few octets at a time) while protocol work holds every virtual-thread
 * carrier (virtual threads are not preempted: a CPU-bound command keeps its carrier) still
 * answers /health and /metrics at once.
 */
class AdminUnderLoadIT {
    private static final int CONNECTIONS = 300;

    @TempDir Path data;
    private final CompletableFuture<Node> started = new CompletableFuture<>();
    private CompletableFuture<Integer> serving;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void cleanUp() throws Exception {
        if (started.isDone() && !started.isCompletedExceptionally()) {
            started.get().requestStop();
            serving.get(60, TimeUnit.SECONDS);
        }
        http.close();
    }

    private Node serve() throws Exception {
        serving = CompletableFuture.supplyAsync(() -> {
            CommandLine cli = Main.commandLine(CairnCommand.embedded(new ByteArrayInputStream(new byte[0]), started::complete));
            int status = cli.execute("serve", "--data", data.toString(), "--imap", "127.0.0.1:0", "--pop3", "off",
                    "--lmtp", "off", "--admin", "127.0.0.1:0");
            started.completeExceptionally(new IllegalStateException("serve ended with " + status + " before serving"));
            return status;
        }, runnable -> Thread.ofPlatform().name("serve").start(runnable));
        return started.get(60, TimeUnit.SECONDS);
    }

    private Duration timed(Node node, String path) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.address("admin").getPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    @Timeout(120)
    void theAdminEndpointAnswersWhileImapIsFloodedAndEveryCarrierIsBusy() throws Exception {
        Node node = serve();
        InetSocketAddress imap = node.address("imap");
        List<Socket> clients = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> busy = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket s = new Socket(imap.getAddress(), imap.getPort());
                s.getOutputStream().write(("a" + i + " LOGIN al").getBytes(StandardCharsets.US_ASCII)); // the rest never comes
                clients.add(s);
            }
            int carriers = Runtime.getRuntime().availableProcessors();
            CountDownLatch running = new CountDownLatch(carriers);
            for (int i = 0; i < carriers; i++) {
                busy.add(Thread.ofVirtual().start(() -> {
                    running.countDown();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!stop.get() && System.nanoTime() < deadline) Thread.onSpinWait();
                }));
            }
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            for (int round = 0; round < 5; round++) {
                assertThat(timed(node, "/health")).isLessThan(Duration.ofSeconds(2));
                assertThat(timed(node, "/metrics")).isLessThan(Duration.ofSeconds(2));
            }
        } finally {
            stop.set(true);
            for (Thread t : busy) t.join();
            for (Socket s : clients) s.close();
        }
    }
}
