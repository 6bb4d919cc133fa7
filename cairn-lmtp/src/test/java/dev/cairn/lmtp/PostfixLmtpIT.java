// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import static dev.cairn.testkit.Eventually.eventually;
import dev.cairn.protocol.testing.ExternalProgram;
import dev.cairn.store.rocks.RocksSlotStore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.testkit.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's Postfix delivering into Cairn over LMTP. A private Postfix instance runs from its
 * own configuration directory ({@code postfix -c}) with its own queue under a temporary
 * directory: it listens for SMTP on a free loopback port, has no local delivery, and sends
 * every domain to Cairn's LMTP port. The machine's own Postfix configuration is not touched.
 */
class PostfixLmtpIT {
    @TempDir Path storeDir;
    Path postfixDir;
    Path postfix;
    SlotStore slot;
    LmtpServer lmtp;
    int smtpPort;
    boolean postfixStarted;
    final AtomicBoolean unwritable = new AtomicBoolean();

    @BeforeEach
    void start() throws Exception {
        postfix = ExternalProgram.require("postfix");
        ExternalProgram.require("swaks");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root && "true".equals(System.getenv("CI"))) throw new AssertionError("the Postfix test needs root to start a Postfix instance");
        assumeTrue(root, "starting a Postfix instance needs root");

        slot = RocksSlotStore.open(SlotConfig.defaults(storeDir.resolve("slot")));
        // While `unwritable` is set the store answers as a read-only or full slot would.
        Function<String, UserStore> users = user -> {
            if (unwritable.get()) throw new StoreException(StoreException.Reason.UNAVAILABLE, "slot is read-only");
            return slot.openOrCreateUser(user);
        };
        lmtp = new LmtpServer(LmtpConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withHostname("cairn.test")
                .withSpoolDirectory(storeDir), users, new MapRecipientResolver(Map.of(
                "alice@example.com", "alice", "bob@example.com", "bob", "postmaster@example.com", "alice")));
        lmtp.start();

        // Postfix's daemons run as user postfix: the directory must be traversable (JUnit's are 0700).
        postfixDir = Files.createTempDirectory("cairn-postfix-");
        Files.setPosixFilePermissions(postfixDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path etc = Files.createDirectories(postfixDir.resolve("etc"));
        Files.createDirectories(postfixDir.resolve("queue"));
        Path data = Files.createDirectories(postfixDir.resolve("data"));
        run("chown", "postfix", data.toString());
        smtpPort = Ports.free();
        String lmtpTarget = "lmtp:inet:127.0.0.1:" + lmtp.boundAddress().getPort();
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
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "smtpd_relay_restrictions = permit_mynetworks, reject",
                "alias_maps =",
                "alias_database =",
                "maillog_file_prefixes = " + postfixDir,
                "maillog_file = " + postfixDir.resolve("postfix.log"),
                // Retry deferred mail within seconds, not Postfix's default minutes.
                "queue_run_delay = 1s",
                "minimal_backoff_time = 1s",
                "maximal_backoff_time = 2s",
                ""));
        // Only what a delivery needs, nothing chrooted, SMTP on the free port only.
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
        waitForPort(smtpPort, Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (postfixStarted) ExternalProgram.run(List.of(postfix.toString(), "-c", postfixDir.resolve("etc").toString(), "stop"), Duration.ofSeconds(60));
        } finally {
            if (lmtp != null) lmtp.close();
            if (slot != null) slot.close();
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
        return Files.exists(log) ? "\n--- postfix.log ---\n" + Files.readString(log) : "";
    }

    static void waitForPort(int port, Duration timeout) throws Exception {
        eventually(timeout, () -> new Socket("127.0.0.1", port).close()); // Postfix listens
    }

    List<MessageRecord> records(String user) {
        if (!slot.hasUser(user)) return List.of();
        UserStore u = slot.user(user);
        MailboxInfo info = u.mailbox("INBOX").orElseThrow();
        var snapshot = u.view(info.id()).snapshot();
        List<Uid> uids = new ArrayList<>();
        for (int i = 0; i < snapshot.size(); i++) uids.add(snapshot.uid(i));
        return u.messages(info.id(), uids);
    }

    List<String> messages(String user) throws IOException {
        if (!slot.hasUser(user)) return List.of();
        UserStore u = slot.user(user);
        MailboxInfo info = u.mailbox("INBOX").orElseThrow();
        var snapshot = u.view(info.id()).snapshot();
        List<Uid> uids = new ArrayList<>();
        for (int i = 0; i < snapshot.size(); i++) uids.add(snapshot.uid(i));
        List<String> out = new ArrayList<>();
        for (MessageRecord m : u.messages(info.id(), uids)) {
            try (InputStream in = u.openBody(m.body())) {
                out.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void postfixDeliversOverLmtpAndBouncesTheUnknownRecipient() throws Exception {
        Path swaks = ExternalProgram.require("swaks");
        ExternalProgram.Result sent = ExternalProgram.run(List.of(swaks.toString(), "--server", "127.0.0.1", "--port", Integer.toString(smtpPort),
                "--helo", "client.test", "--from", "postmaster@example.com", "--to", "alice@example.com,bob@example.com,ghost@example.com",
                "--header", "Subject: through postfix", "--body", "Delivered by Postfix over LMTP.\n.leading dot\n"), Duration.ofSeconds(60));
        assertThat(sent.exit()).as(sent.all()).isZero();

        // alice gets the message and, as postmaster@example.com (the sender), the bounce for ghost.
        eventually(Duration.ofSeconds(60), () -> {
            assertThat(messages("alice")).as(log()).hasSizeGreaterThanOrEqualTo(2);
            assertThat(messages("bob")).as(log()).isNotEmpty();
        });
        assertThat(messages("bob")).as(log()).singleElement().asString()
                .startsWith("Return-Path: <postmaster@example.com>\r\n")
                .contains("Subject: through postfix\r\n")
                .contains("\r\nDelivered by Postfix over LMTP.\r\n.leading dot\r\n");
        List<String> alice = messages("alice");
        assertThat(alice).as(log()).hasSize(2);
        assertThat(alice).anySatisfy(m -> assertThat(m).contains("Subject: through postfix"));
        assertThat(alice).anySatisfy(m -> assertThat(m).contains("ghost@example.com").contains("5.1.1").contains("Return-Path: <>"));
        String log = log();
        assertThat(log).contains("to=<alice@example.com>").contains("to=<bob@example.com>").contains("status=sent")
                .contains("to=<ghost@example.com>").contains("status=bounced");
        // Postfix sent alice and bob in one LMTP transaction: the slot holds that body once.
        List<MessageRecord> forAlice = records("alice");
        List<MessageRecord> forBob = records("bob");
        assertThat(forAlice.stream().map(MessageRecord::body)).contains(forBob.getFirst().body());
    }

    @Test
    void anUnwritableStoreMakesPostfixDeferAndDeliverLater() throws Exception {
        unwritable.set(true);
        Path swaks = ExternalProgram.require("swaks");
        ExternalProgram.Result sent = ExternalProgram.run(List.of(swaks.toString(), "--server", "127.0.0.1", "--port", Integer.toString(smtpPort),
                "--helo", "client.test", "--from", "postmaster@example.com", "--to", "bob@example.com",
                "--header", "Subject: deferred first"), Duration.ofSeconds(60));
        assertThat(sent.exit()).as(sent.all()).isZero();

        eventually(Duration.ofSeconds(60), () -> assertThat(log()).contains("status=deferred"));
        assertThat(log()).contains("to=<bob@example.com>").contains("dsn=4.3.0").contains("status=deferred")
                .doesNotContain("status=sent");
        assertThat(records("bob")).as("nothing half-delivered while unwritable").isEmpty();

        unwritable.set(false);
        ExternalProgram.run(List.of(postfix.resolveSibling("postqueue").toString(), "-c", postfixDir.resolve("etc").toString(), "-f"),
                Duration.ofSeconds(30));
        eventually(Duration.ofSeconds(60), () -> assertThat(messages("bob")).as(log()).isNotEmpty());
        assertThat(messages("bob")).as(log()).singleElement().asString().contains("Subject: deferred first");
        eventually(Duration.ofSeconds(30), () -> assertThat(log()).contains("status=sent"));
        String log = log();
        assertThat(log.indexOf("status=sent")).as(log).isGreaterThan(log.indexOf("status=deferred"));
    }
}
