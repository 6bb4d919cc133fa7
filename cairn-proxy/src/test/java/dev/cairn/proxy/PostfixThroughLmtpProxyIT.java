// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import static dev.cairn.testkit.Eventually.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.protocol.testing.ExternalProgram;
import dev.cairn.testkit.Ports;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Postfix delivering through the LMTP proxy (issue 21, must-show 3): one message to 100
 * recipients spread over three back-end stores, sent by Postfix in one LMTP transaction to the
 * front. A private Postfix instance from its own configuration directory, as in cairn-lmtp's
 * PostfixLmtpIT; the machine's Postfix is not touched.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostfixThroughLmtpProxyIT {
    static final int RECIPIENTS = 100;
    @TempDir Path dir;
    LmtpBackEnds cluster;
    Path postfixDir;
    Path postfix;
    int smtpPort;
    boolean postfixStarted;

    @BeforeEach
    void start() throws Exception {
        postfix = ExternalProgram.require("postfix");
        ExternalProgram.require("swaks");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equals(System.getenv("CI"))) throw new AssertionError("the Postfix test needs root to start a Postfix instance");
        assumeTrue(root, "starting a Postfix instance needs root");
        cluster = new LmtpBackEnds(dir, 3);

        // Postfix's daemons run as user postfix: the directory must be traversable (JUnit's are 0700).
        postfixDir = Files.createTempDirectory("cairn-postfix-");
        Files.setPosixFilePermissions(postfixDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path etc = Files.createDirectories(postfixDir.resolve("etc"));
        Files.createDirectories(postfixDir.resolve("queue"));
        Path data = Files.createDirectories(postfixDir.resolve("data"));
        run("chown", "postfix", data.toString());
        smtpPort = Ports.free();
        String lmtpTarget = "lmtp:inet:127.0.0.1:" + cluster.frontPort();
        Files.writeString(etc.resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + postfixDir.resolve("queue"),
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
                // All 100 recipients in one LMTP transaction (the default splits at 50).
                "lmtp_destination_recipient_limit = " + RECIPIENTS,
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "smtpd_relay_restrictions = permit_mynetworks, reject",
                "alias_maps =",
                "alias_database =",
                "maillog_file_prefixes = " + postfixDir,
                "maillog_file = " + postfixDir.resolve("postfix.log"),
                ""));
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
                "lmtp      unix  - - n -  - lmtp",
                "anvil     unix  - - n -  1 anvil",
                "scache    unix  - - n -  1 scache",
                "postlog   unix-dgram n - n - 1 postlogd",
                ""));
        ExternalProgram.Result started = ExternalProgram.run(List.of(postfix.toString(), "-c", etc.toString(), "start"), Duration.ofSeconds(60));
        postfixStarted = started.exit() == 0;
        assertThat(started.exit()).as("postfix start: " + started.all() + log()).isZero();
        eventually(Duration.ofSeconds(30), () -> new Socket("127.0.0.1", smtpPort).close());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (postfixStarted) ExternalProgram.run(List.of(postfix.toString(), "-c", postfixDir.resolve("etc").toString(), "stop"), Duration.ofSeconds(60));
        } finally {
            if (cluster != null) cluster.close();
            if (postfixDir != null) {
                try (Stream<Path> all = Files.walk(postfixDir)) {
                    all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    static void run(String... command) throws Exception {
        ExternalProgram.Result r = ExternalProgram.run(List.of(command), Duration.ofSeconds(30));
        assertThat(r.exit()).as(String.join(" ", command) + ": " + r.all()).isZero();
    }

    String log() throws IOException {
        Path log = postfixDir.resolve("postfix.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Test
    void postfixDeliversOneMessageToAHundredRecipientsOverThreeStoresThroughTheProxy() throws Exception {
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < RECIPIENTS; i++) {
            cluster.locator.at("u" + i, "s" + (i % 3), 1, cluster.backends.get(i % 3));
            addresses.add("u" + i + "@example.com");
        }
        ExternalProgram.Result sent = ExternalProgram.run(List.of(ExternalProgram.require("swaks").toString(),
                "--server", "127.0.0.1", "--port", Integer.toString(smtpPort), "--helo", "client.test",
                "--from", "sender@example.org", "--to", String.join(",", addresses),
                "--header", "Subject: to a hundred", "--body", "One message, three stores.\n.leading dot\n"), Duration.ofSeconds(60));
        assertThat(sent.exit()).as(sent.all()).isZero();

        Pattern sentLine = Pattern.compile("to=<(u\\d+@example\\.com)>, relay=[^ ]+, .*status=sent \\(250 2\\.0\\.0 <\\1> ");
        eventually(Duration.ofSeconds(90), () -> {
            Matcher m = sentLine.matcher(log());
            int delivered = 0;
            while (m.find()) delivered++;
            assertThat(delivered).as(log()).isEqualTo(RECIPIENTS);
        });
        String log = log();
        assertThat(log).doesNotContain("status=deferred").doesNotContain("status=bounced");
        for (String a : addresses) assertThat(log).contains("to=<" + a + ">");
        // Postfix made one LMTP connection for all of them: one transaction, one reply each, in order.
        assertThat(cluster.meters.get("cairn.proxy.lmtp.forward").timers()).allSatisfy(t -> assertThat(t.count()).isEqualTo(1));
        for (int i = 0; i < RECIPIENTS; i++) {
            List<String> copies = LmtpBackEnds.messages(cluster.slots.get(i % 3), "u" + i);
            assertThat(copies).as("u%d", i).singleElement().asString().contains("Subject: to a hundred")
                    .contains("\r\n.leading dot\r\n");
            for (var other : cluster.slots) if (other != cluster.slots.get(i % 3)) assertThat(other.hasUser("u" + i)).isFalse();
        }
        assertThat(cluster.meters.get("cairn.proxy.lmtp.forward").timers()).hasSize(3);
    }
}
