// SPDX-License-Identifier: Apache-2.0
package dev.cairn.testkit;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private instance of Debian's Postfix for a test (packages {@code postfix} and, to send, {@code
 * swaks}): its own configuration, queue and log under a temporary directory, an SMTP listener on a
 * loopback port of {@link Ports}, and every message relayed to one LMTP target in transactions of
 * up to {@code recipientLimit} recipients. The machine's own Postfix is not touched. Starting an
 * instance needs root (its daemons drop to user postfix): {@link #runnable()} says whether this
 * test may, and a test skips without it on a developer's machine and fails in CI.
 */
public final class PostfixInstance implements AutoCloseable {
    public static final Path POSTFIX = Path.of("/usr/sbin/postfix");
    public static final Path SWAKS = Path.of("/usr/bin/swaks");

    private final Path dir;
    private final int smtpPort;
    private boolean started;

    private PostfixInstance(Path dir, int smtpPort) {
        this.dir = dir;
        this.smtpPort = smtpPort;
    }

    /** Postfix and swaks are installed and this JVM runs as root. */
    public static boolean runnable() {
        return Files.isExecutable(POSTFIX) && Files.isExecutable(SWAKS) && "root".equals(System.getProperty("user.name"));
    }

    /** Whether a Postfix that cannot run fails the test (CI) rather than skipping it. */
    public static boolean required() {
        return "true".equals(System.getenv("CI"));
    }

    /**
     * Starts an instance whose default transport is LMTP to {@code lmtpHost:lmtpPort}, with all of
     * up to {@code recipientLimit} recipients of a message in one transaction (Postfix splits at 50
     * by default); returns once its SMTP listener accepts connections.
     */
    public static PostfixInstance start(String lmtpHost, int lmtpPort, int recipientLimit) throws IOException, InterruptedException {
        if (!runnable()) throw new AssertionError("Postfix needs " + POSTFIX + ", " + SWAKS + " and root");
        // Postfix's daemons run as user postfix: the directory must be traversable (JUnit's are 0700).
        Path dir = Files.createTempDirectory("cairn-postfix-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        PostfixInstance p = new PostfixInstance(dir, Ports.free());
        try {
            p.configure("lmtp:inet:" + lmtpHost + ":" + lmtpPort, recipientLimit);
            Result r = run(List.of(POSTFIX.toString(), "-c", p.etc().toString(), "start"), Duration.ofSeconds(60));
            p.started = r.exit() == 0;
            if (!p.started) throw new AssertionError("postfix start: " + r.output() + p.log());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    new Socket("127.0.0.1", p.smtpPort).close();
                    return p;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline) throw new AssertionError("postfix's smtpd did not listen: " + p.log());
                    Thread.sleep(100);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            p.close();
            throw e;
        }
    }

    private Path etc() { return dir.resolve("etc"); }

    private void configure(String lmtpTarget, int recipientLimit) throws IOException, InterruptedException {
        Files.createDirectories(etc());
        Files.createDirectories(dir.resolve("queue"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Result owned = run(List.of("chown", "postfix", data.toString()), Duration.ofSeconds(30));
        if (owned.exit() != 0) throw new AssertionError("chown postfix: " + owned.output());
        Files.writeString(etc().resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + dir.resolve("queue"),
                "data_directory = " + data,
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = mta.test",
                "mydomain = test",
                "myorigin = mta.test",
                "mydestination =",
                "local_transport = error:local delivery is disabled",
                "default_transport = " + lmtpTarget,
                "relay_transport = " + lmtpTarget,
                "lmtp_destination_recipient_limit = " + recipientLimit,
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "smtpd_relay_restrictions = permit_mynetworks, reject",
                "alias_maps =",
                "alias_database =",
                "maillog_file_prefixes = " + dir,
                "maillog_file = " + dir.resolve("postfix.log"),
                ""));
        Files.writeString(etc().resolve("master.cf"), String.join("\n",
                "127.0.0.1:" + smtpPort + " inet n - n - - smtpd",
                "pickup    unix  n - n 60 1 pickup",
                "cleanup   unix  n - n -  0 cleanup",
                "qmgr      unix  n - n 300 1 qmgr",
                "rewrite   unix  - - n -  - trivial-rewrite",
                "bounce    unix  - - n -  0 bounce",
                "defer     unix  - - n -  0 bounce",
                "trace     unix  - - n -  0 bounce",
                "verify    unix  - - n -  1 verify",
                "proxymap  unix  - - n -  - proxymap",
                "smtp      unix  - - n -  - smtp",
                "relay     unix  - - n -  - smtp",
                "showq     unix  n - n -  - showq",
                "error     unix  - - n -  - error",
                "retry     unix  - - n -  - error",
                "discard   unix  - - n -  - discard",
                "lmtp      unix  - - n -  - lmtp",
                "anvil     unix  - - n -  1 anvil",
                "scache    unix  - - n -  1 scache",
                "postlog   unix-dgram n - n - 1 postlogd",
                ""));
    }

    public int smtpPort() { return smtpPort; }

    /**
     * Submits one message over SMTP with swaks (from {@code from} to every address of {@code to}),
     * with these header lines ("Subject: ...") and body; Postfix queues it and delivers it by LMTP.
     */
    public void send(String from, List<String> to, List<String> headers, String body) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(SWAKS.toString(), "--server", "127.0.0.1", "--port", Integer.toString(smtpPort),
                "--helo", "client.test", "--from", from, "--to", String.join(",", to), "--body", body));
        for (String h : headers) command.addAll(List.of("--header", h));
        Result r = run(command, Duration.ofSeconds(60));
        if (r.exit() != 0) throw new AssertionError("swaks: " + r.output());
    }

    /** Postfix's log so far ("" before its first line). */
    public String log() throws IOException {
        Path log = dir.resolve("postfix.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // read while it runs, so a full pipe cannot block it
        var output = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                output.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.complete(e.toString());
            }
        });
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not exit within " + timeout);
        }
        try {
            return new Result(p.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Result(p.exitValue(), e.toString());
        }
    }

    /** Stops the instance and removes its directory. */
    @Override public void close() throws IOException, InterruptedException {
        try {
            if (started) run(List.of(POSTFIX.toString(), "-c", etc().toString(), "stop"), Duration.ofSeconds(60));
            started = false;
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
