// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.bench.imap.ImapBench;
import dev.cairn.bench.imap.ImapMix;
import dev.cairn.bench.lmtp.LmtpBench;
import dev.cairn.testkit.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench against a real Dovecot (bench/dovecot.sh runs a private instance on loopback):
 * a correct, widely deployed server must give zero errors, and the CPU of its process tree
 * must be measured. Dovecot is not part of CI (comparisons are not), so this test is skipped
 * wherever the dovecot binary is absent, in CI or not.
 */
class DovecotBenchIT {

    private static final Path SCRIPT = Path.of("").toAbsolutePath().getParent().resolve("bench/dovecot.sh");

    @TempDir
    Path dir;

    private int imapPort;
    private int lmtpPort;
    private long pid;

    @BeforeEach
    void startDovecot() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/dovecot")) || onPath("dovecot"),
            "dovecot is not installed (bench/dovecot.sh install); this test runs only where it is");
        imapPort = Ports.free();
        lmtpPort = Ports.free();
        String out = script("start", dir.toString(), "shipped", Integer.toString(imapPort), Integer.toString(lmtpPort), "6");
        pid = Long.parseLong(out.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    @AfterEach
    void stopDovecot() throws Exception {
        if (pid != 0) {
            script("stop", dir.toString());
        }
    }

    @Test
    void imapLoadAgainstDovecotFindsNoViolations() throws Exception {
        var load = new LoadRun.Settings(4, Duration.ofMillis(500), Duration.ofSeconds(3), 0, false, List.of(pid));
        var config = new ImapBench.Config(Endpoint.plain("127.0.0.1", imapPort), "u%d", "pass", 6, 1, 12, 11,
            256 * 1024, 40, ImapMix.defaults(), load);
        Report report = new ImapBench(config, quiet()).run();
        assertThat(report.errors()).as(report.errorSamples().toString()).isEmpty();
        assertThat(report.totalOps()).isGreaterThan(50);
        assertThat(report.kind("append")).isNotNull();
        assertThat(report.serverCpuSeconds()).isPositive();
    }

    @Test
    void lmtpLoadAgainstDovecotIsAcceptedThenReadBackIntact() throws Exception {
        var load = new LoadRun.Settings(2, Duration.ZERO, Duration.ofSeconds(2), 0, false, List.of(pid));
        var lmtp = new LmtpBench.Config(Endpoint.plain("127.0.0.1", lmtpPort), "u%d@example.com", 6, 1, 1, 3,
            "bench@example.net", 11, Corpus.MIN_SIZE, 256 * 1024, 40, load);
        Report delivered = new LmtpBench(lmtp, quiet()).run();
        assertThat(delivered.errors()).as(delivered.errorSamples().toString()).isEmpty();
        assertThat(delivered.totalOps()).isPositive();
        // The delivered messages (with Dovecot's trace headers in front) are fetched and matched
        // against the corpus by the IMAP checker.
        var read = new LoadRun.Settings(2, Duration.ZERO, Duration.ofSeconds(2), 0, false, List.of());
        var imap = new ImapBench.Config(Endpoint.plain("127.0.0.1", imapPort), "u%d", "pass", 6, 1, 0, 11, 256 * 1024,
            40, ImapMix.parse("fetch-body=20,select=2,logout=1"), read);
        Report fetched = new ImapBench(imap, quiet()).run();
        assertThat(fetched.errors()).as(fetched.errorSamples().toString()).isEmpty();
        assertThat(fetched.kind("fetch-body").count()).isPositive();
    }

    private String script(String... args) throws IOException, InterruptedException {
        var command = new java.util.ArrayList<String>();
        command.add(SCRIPT.toString());
        command.addAll(List.of(args));
        // Output goes to a file, not a pipe: the daemon lives on after the script and must not hold it open.
        Path output = Files.createTempFile("dovecot-script", ".out");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            String out = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(process.isAlive()).as("script still running: " + out).isFalse();
            assertThat(process.exitValue()).as(out).isZero();
            return out;
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static PrintStream quiet() {
        return new PrintStream(OutputStream.nullOutputStream());
    }
}
