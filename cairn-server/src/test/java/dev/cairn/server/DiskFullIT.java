// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.cairn.server.cli.CairnCommand;
import dev.cairn.server.cli.CliRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bodies' disk fills up for real (a small tmpfs, so the test needs root, as CI has): every
 * delivery is refused with 451 4.3.0, the cause is logged once, every failure is counted, the
 * segment does not grow; with room again deliveries succeed and `cairn check` finds nothing wrong.
 */
class DiskFullIT {
    private static final int DELIVERIES = 30;

    @TempDir Path data;
    @TempDir Path mountPoint;
    private boolean mounted;
    private final CompletableFuture<Node> started = new CompletableFuture<>();
    private CompletableFuture<Integer> serving;

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (started.isDone() && !started.isCompletedExceptionally()) {
            started.get().requestStop();
            serving.get(60, TimeUnit.SECONDS);
        }
        if (mounted) run("umount", mountPoint.toString());
    }

    private Node serve(Path config) throws Exception {
        serving = CompletableFuture.supplyAsync(() -> {
            CommandLine cli = Main.commandLine(CairnCommand.embedded(new ByteArrayInputStream(new byte[0]), started::complete));
            int status = cli.execute("serve", "--config", config.toString(), "--data", data.toString(), "--imap", "127.0.0.1:0",
                    "--pop3", "off", "--lmtp", "127.0.0.1:0", "--admin", "127.0.0.1:0");
            started.completeExceptionally(new IllegalStateException("serve ended with " + status + " before serving"));
            return status;
        }, runnable -> Thread.ofPlatform().name("serve").start(runnable));
        return started.get(60, TimeUnit.SECONDS);
    }

    /** Fills the file system with one file until the kernel says no. */
    private static Path fill(Path dir) throws IOException {
        Path filler = dir.resolve("filler");
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) out.write(block);
        } catch (IOException full) {
            assertThat(full.getMessage()).contains("No space left on device");
        }
        return filler;
    }

    private static long segmentBytes(Path segments) throws IOException {
        try (Stream<Path> files = Files.list(segments)) {
            return files.mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static String message(int n) {
        return "From: bob@example.org\r\nSubject: " + n + "\r\n\r\n" + ("line of the body " + n + "\r\n").repeat(3000);
    }

    @Test
    @Timeout(180)
    void deliveriesToAFullDiskAreRefusedCountedLoggedOnceAndLeaveNoGarbage() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint.toString()) == 0,
                "cannot mount a tmpfs here");
        mounted = true;
        Path bodies = mountPoint.resolve("bodies");
        Path config = data.resolve("cairn.toml");
        Files.writeString(config, "[store]\nbodies = \"" + bodies + "\"\n");
        Node node = serve(config);
        assertThat(CliRun.run("", "user", "add", "alice@example.org", "--no-password", "--data", data.toString()).status()).isZero();
        assertThat(ServeIT.deliverOverLmtp(node.address("lmtp"), "alice@example.org", message(0)).getLast()).startsWith("250");

        List<ILoggingEvent> noSpace = new CopyOnWriteArrayList<>();
        Logger failures = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("dev.cairn.store.rocks.WriteFailures");
        AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
            @Override protected void append(ILoggingEvent e) { if (e.getFormattedMessage().startsWith("no space left on ")) noSpace.add(e); }
        };
        capture.setContext(failures.getLoggerContext());
        capture.start();
        failures.addAppender(capture);
        Path filler;
        long segmentsBefore;
        try {
            filler = fill(mountPoint);
            segmentsBefore = segmentBytes(bodies.resolve("segments"));
            double bodiesBefore = node.registry().get("cairn.store.bodies.bytes").gauge().value();
            for (int i = 1; i <= DELIVERIES; i++) {
                List<String> replies = ServeIT.deliverOverLmtp(node.address("lmtp"), "alice@example.org", message(i));
                assertThat(replies.getLast()).startsWith("451 4.3.0");
            }
            assertThat(node.registry().get("cairn.store.commit.failures").tag("cause", "no_space").counter().count())
                    .isEqualTo(DELIVERIES);
            assertThat(node.registry().get("cairn.store.bodies.bytes").gauge().value()).isEqualTo(bodiesBefore);
            assertThat(node.registry().get("cairn.store.bodies.garbage.bytes").gauge().value()).isZero();
            assertThat(segmentBytes(bodies.resolve("segments"))).isEqualTo(segmentsBefore);
        } finally {
            failures.detachAppender(capture);
        }
        assertThat(noSpace).hasSize(1);
        assertThat(noSpace.getFirst().getFormattedMessage()).startsWith("no space left on " + bodies.resolve("segments") + ": ");

        Files.delete(filler); // room again
        assertThat(ServeIT.deliverOverLmtp(node.address("lmtp"), "alice@example.org", message(99)).getLast()).startsWith("250");
        assertThat(segmentBytes(bodies.resolve("segments"))).isGreaterThan(segmentsBefore);
        CliRun check = CliRun.run("", "check", "--data", data.toString());
        assertThat(check.status()).as(check.out()).isZero();
    }
}
