// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import static dev.cairn.testkit.Eventually.eventually;
import dev.cairn.protocol.testing.ExternalProgram;
import dev.cairn.server.cli.CairnCommand;
import dev.cairn.server.cli.CliRun;
import dev.cairn.server.config.MachineNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import dev.cairn.testkit.Ports;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Postfix in front of a Cairn node, configured with the README's main.cf lines as written
 * (only the LMTP port is the test's): {@code virtual_transport} for a virtual domain, and
 * {@code mailbox_transport} for Postfix's local domains, where Cairn finds a user who has no
 * address by its name (user@$myhostname, user@localhost). A private Postfix instance runs from its
 * own configuration directory; the machine's Postfix is not touched.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PostfixDeliveryIT {
    private static final String README_LMTP = "lmtp:inet:127.0.0.1:2424";

    @TempDir Path data;
    Path postfixDir;
    Path postfix;
    boolean postfixStarted;
    int smtpPort;
    private final CompletableFuture<Node> started = new CompletableFuture<>();
    private CompletableFuture<Integer> serving;

    @BeforeEach
    void startCairn() throws Exception {
        postfix = ExternalProgram.require("postfix");
        ExternalProgram.require("swaks");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equals(System.getenv("CI"))) throw new AssertionError("the Postfix test needs root to start a Postfix instance");
        assumeTrue(root, "starting a Postfix instance needs root");
        serving = CompletableFuture.supplyAsync(() -> {
            CommandLine cli = Main.commandLine(CairnCommand.embedded(new ByteArrayInputStream(new byte[0]), started::complete));
            int status = cli.execute("serve", "--data", data.toString(), "--imap", "127.0.0.1:0", "--pop3", "off",
                    "--lmtp", "127.0.0.1:0", "--admin", "off");
            started.completeExceptionally(new IllegalStateException("serve ended with " + status + " before serving"));
            return status;
        }, runnable -> Thread.ofPlatform().name("serve").start(runnable));
        started.get(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (postfixStarted) {
                ExternalProgram.run(List.of(postfix.toString(), "-c", postfixDir.resolve("etc").toString(), "stop"), Duration.ofSeconds(60));
            }
        } finally {
            if (started.isDone() && !started.isCompletedExceptionally()) {
                started.get().requestStop();
                serving.get(60, TimeUnit.SECONDS);
            }
            if (postfixDir != null) {
                try (Stream<Path> all = Files.walk(postfixDir)) {
                    all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private CliRun cairn(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--data");
        all.add(data.toString());
        return CliRun.run(stdin, all.toArray(String[]::new));
    }

    /** The README's lines of the block that sets {@code key}, with the test's LMTP port. */
    private String readmeLines(String key) throws Exception {
        Readme.Block block = Readme.blockWith(Readme.read().section("### Postfix in front"), key + " =");
        assertThat(block.body()).as("the README's Postfix block names Cairn's default LMTP address").contains(README_LMTP);
        String lmtp = "lmtp:inet:127.0.0.1:" + started.get().address("lmtp").getPort();
        return block.body().replace(README_LMTP, lmtp);
    }

    @Test
    void virtualTransportDeliversToAUserWithAnAddress() throws Exception {
        assertThat(cairn("", "user", "add", "bob", "--no-password", "--address", "bob@example.org").status()).isZero();
        startPostfix("mydestination =", readmeLines("virtual_transport"));
        send("bob@example.org", "Subject: virtual");
        awaitMessages("bob", 1);
        assertThat(awaitLog("to=<bob@example.org>", "status=sent")).contains("relay=127.0.0.1");
        // An unknown user of the domain: Cairn's 550 with its reason becomes Postfix's bounce.
        send("nobody@example.org", "Subject: to nobody");
        assertThat(awaitLog("to=<nobody@example.org>", "status=bounced"))
                .contains("550 5.1.1 <nobody@example.org> User unknown: no address nobody@example.org, and example.org is not a local"
                        + " domain (where user names are addresses)");
    }

    @Test
    void mailboxTransportDeliversToAUserAddedWithoutAnAddress() throws Exception {
        // The issue's first hour: `cairn user add alice`, no address, no default domain.
        assertThat(cairn("a long password\n", "user", "add", "alice", "--password-stdin").status()).isZero();
        String host = MachineNames.hostname().orElse("localhost");
        startPostfix("myhostname = " + host + "\nmydestination = $myhostname, localhost", readmeLines("mailbox_transport"));
        send("alice@" + host, "Subject: local by host name");
        send("alice@localhost", "Subject: local by localhost");
        awaitMessages("alice", 2);
        assertThat(awaitLog("to=<alice@" + host + ">", "status=sent")).contains("relay=127.0.0.1");
    }

    private void startPostfix(String destinations, String readme) throws Exception {
        postfixDir = Files.createTempDirectory("cairn-postfix-");
        Files.setPosixFilePermissions(postfixDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path etc = Files.createDirectories(postfixDir.resolve("etc"));
        Files.createDirectories(postfixDir.resolve("queue"));
        Path pfData = Files.createDirectories(postfixDir.resolve("data"));
        run("chown", "postfix", pfData.toString());
        smtpPort = Ports.free();
        Files.writeString(etc.resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + postfixDir.resolve("queue"),
                "data_directory = " + pfData,
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "mydomain = test",
                "myorigin = $myhostname",
                destinations,
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "smtpd_relay_restrictions = permit_mynetworks, reject",
                "alias_maps =",
                "alias_database =",
                "maillog_file_prefixes = " + postfixDir,
                "maillog_file = " + postfixDir.resolve("postfix.log"),
                "queue_run_delay = 1s",
                "minimal_backoff_time = 1s",
                "maximal_backoff_time = 2s",
                "# --- from README.md ---",
                readme));
        Files.writeString(etc.resolve("master.cf"), String.join("\n",
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
                "local     unix  - n n -  - local",
                "virtual   unix  - n n -  - virtual",
                "lmtp      unix  - - n -  - lmtp",
                "anvil     unix  - - n -  1 anvil",
                "scache    unix  - - n -  1 scache",
                "postlog   unix-dgram n - n - 1 postlogd",
                ""));
        ExternalProgram.Result check = ExternalProgram.run(List.of(postfix.toString(), "-c", etc.toString(), "check"), Duration.ofSeconds(60));
        assertThat(check.exit()).as("postfix check: " + check.all()).isZero();
        ExternalProgram.Result start = ExternalProgram.run(List.of(postfix.toString(), "-c", etc.toString(), "start"), Duration.ofSeconds(60));
        postfixStarted = start.exit() == 0;
        assertThat(start.exit()).as("postfix start: " + start.all() + log()).isZero();
        eventually(Duration.ofSeconds(30), () -> {
            try (Socket s = new Socket("127.0.0.1", smtpPort)) {
                // Postfix listens
            } catch (IOException notYet) {
                throw new AssertionError("Postfix did not listen on " + smtpPort + log(), notYet);
            }
        });
    }

    private void send(String to, String subject) throws Exception {
        ExternalProgram.Result sent = ExternalProgram.run(List.of(ExternalProgram.require("swaks").toString(), "--server", "127.0.0.1",
                "--port", Integer.toString(smtpPort), "--helo", "client.test", "--from", "sender@client.test", "--to", to,
                "--header", subject), Duration.ofSeconds(60));
        assertThat(sent.exit()).as(sent.all()).isZero();
    }

    private void awaitMessages(String user, int count) throws Exception {
        Node node = started.get();
        eventually(Duration.ofSeconds(60), () -> assertThat(node.store().hasUser(user)
                && node.store().user(user).mailbox("INBOX").orElseThrow().messages() >= count)
                .as(user + " got " + count + " message(s)" + log()).isTrue());
    }

    /** The first Postfix log line with all of {@code parts}, waiting for it. */
    private String awaitLog(String... parts) throws Exception {
        eventually(Duration.ofSeconds(60), () -> assertThat(log().lines()).as("a Postfix log line with " + List.of(parts) + log())
                .anyMatch(line -> Stream.of(parts).allMatch(line::contains)));
        return log().lines().filter(line -> Stream.of(parts).allMatch(line::contains)).findFirst().orElseThrow();
    }

    private String log() throws IOException {
        Path log = postfixDir == null ? null : postfixDir.resolve("postfix.log");
        return log != null && Files.exists(log) ? "\n--- postfix.log ---\n" + Files.readString(log) : "";
    }

    private static void run(String... command) throws Exception {
        ExternalProgram.Result r = ExternalProgram.run(List.of(command), Duration.ofSeconds(30));
        assertThat(r.exit()).as(String.join(" ", command) + ": " + r.all()).isZero();
    }
}
