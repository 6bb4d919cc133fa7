// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import dev.cairn.protocol.testing.ExternalProgram;
import dev.cairn.store.rocks.RocksSlotStore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.QuotaPolicy;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real LMTP clients (Python's smtplib.LMTP, swaks) against the server and a real RocksDB slot
 * store, for every reply code the issue names, pipelined and with mixed recipients.
 */
class LmtpInteropIT {
    @TempDir Path dir;
    SlotStore slot;
    LmtpServer server;

    final MapRecipientResolver resolver = new MapRecipientResolver(Map.of(
            "alice@example.com", "alice", "bob@example.com", "bob", "postmaster@example.com", "alice",
            "full@example.com", "full", "frozen@example.com", "frozen"));

    @BeforeEach
    void start() throws IOException {
        // "full" has a tiny storage quota; "frozen" stands for a store that cannot take writes
        // (read-only, disk full): the store reports UNAVAILABLE for it.
        QuotaPolicy quota = user -> user.equals("full") ? new QuotaPolicy.Limits(10, -1) : QuotaPolicy.Limits.NONE;
        slot = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot")).withQuota(quota));
        slot.openOrCreateUser("alice").createMailbox("lists", Set.of());
        Function<String, UserStore> users = user -> {
            if (user.equals("frozen")) throw new StoreException(StoreException.Reason.UNAVAILABLE, "slot is read-only");
            return slot.openOrCreateUser(user);
        };
        server = new LmtpServer(LmtpConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withHostname("mx.test")
                .withMaxMessageSize(100_000).withSpoolDirectory(dir), users, resolver);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        slot.close();
    }

    List<String> python(String sender, String message, String... recipients) throws Exception {
        return python("127.0.0.1", server.boundAddress().getPort(), sender, message, recipients);
    }

    /** {@code host} may be a unix socket path: smtplib.LMTP connects to it when it starts with '/'. */
    List<String> python(String host, int port, String sender, String message, String... recipients) throws Exception {
        Path python = ExternalProgram.require("python3");
        Path script = dir.resolve("lmtp_client.py");
        try (InputStream in = getClass().getResourceAsStream("/lmtp_client.py")) {
            Files.write(script, in.readAllBytes());
        }
        Path msg = dir.resolve("message.eml");
        Files.writeString(msg, message, StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), host, Integer.toString(port), sender, msg.toString()));
        cmd.addAll(Arrays.asList(recipients));
        ExternalProgram.Result r = ExternalProgram.run(cmd, Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.all()).isZero();
        return r.stdout().lines().toList();
    }

    List<String> inbox(String user, String mailbox) throws IOException {
        UserStore u = slot.user(user);
        MailboxInfo info = u.mailbox(mailbox).orElseThrow();
        List<Uid> uids = new ArrayList<>();
        var snapshot = u.view(info.id()).snapshot();
        for (int i = 0; i < snapshot.size(); i++) uids.add(snapshot.uid(i));
        List<String> out = new ArrayList<>();
        for (MessageRecord m : u.messages(info.id(), uids)) {
            try (InputStream in = u.openBody(m.body())) {
                out.add(TraceFields.withoutReceived(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    @Test
    void pythonSmtplibMixedRecipientsAndEveryCode() throws Exception {
        String message = "From: sender@remote.example\r\nSubject: interop\r\n\r\nHello.\r\n.A line with a leading dot\r\n";
        List<String> out = python("sender@remote.example", message, "alice@example.com", "ghost@example.com",
                "postmaster@example.com", "full@example.com", "frozen@example.com", "bob@example.com", "alice+lists@example.com");
        assertThat(out).containsExactly(
                "lhlo 250 mx.test | PIPELINING | ENHANCEDSTATUSCODES | SIZE 100000 | 8BITMIME | BINARYMIME | CHUNKING | SMTPUTF8",
                "features 8bitmime binarymime chunking enhancedstatuscodes pipelining size smtputf8",
                "mail 250 2.1.0 Sender OK",
                "rcpt 250 2.1.5 <alice@example.com> Recipient OK",
                "rcpt 550 5.1.1 <ghost@example.com> User unknown: no address ghost@example.com",
                "rcpt 250 2.1.5 <postmaster@example.com> Recipient OK",
                "rcpt 250 2.1.5 <full@example.com> Recipient OK",
                "rcpt 250 2.1.5 <frozen@example.com> Recipient OK",
                "rcpt 250 2.1.5 <bob@example.com> Recipient OK",
                "rcpt 250 2.1.5 <alice+lists@example.com> Recipient OK",
                "data 250 2.0.0 <alice@example.com> Saved in INBOX as UID 1",
                "data 250 2.0.0 <postmaster@example.com> Saved in INBOX as UID 1",
                "data 552 5.2.2 <full@example.com> Mailbox full",
                "data 451 4.3.0 <frozen@example.com> Mail store temporarily unavailable",
                "data 250 2.0.0 <bob@example.com> Saved in INBOX as UID 1",
                "data 250 2.0.0 <alice+lists@example.com> Saved in lists as UID 1",
                "quit 221 2.0.0 mx.test closing connection");
        // smtplib dot-stuffs the leading dot and the server removes it again: stored as sent.
        String stored = "Return-Path: <sender@remote.example>\r\n" + message;
        assertThat(inbox("alice", "INBOX")).containsExactly(stored);
        assertThat(inbox("alice", "lists")).containsExactly(stored);
        assertThat(inbox("bob", "INBOX")).containsExactly(stored);
        assertThat(slot.openOrCreateUser("full").mailbox("INBOX").orElseThrow().messages()).isZero();
        // One body for every recipient of the slot (single-instance storage by content hash).
        assertThat(List.of(body("alice", "INBOX"), body("alice", "lists"), body("bob", "INBOX"))).containsOnly(body("alice", "INBOX"));
    }

    dev.cairn.store.BodyId body(String user, String mailbox) {
        UserStore u = slot.user(user);
        MailboxInfo info = u.mailbox(mailbox).orElseThrow();
        return u.message(info.id(), u.view(info.id()).snapshot().uid(0)).orElseThrow().body();
    }

    @Test
    void pythonSmtplibTooBig() throws Exception {
        List<String> out = python("s@remote.example", "Subject: big\r\n\r\n" + "x".repeat(100_001) + "\r\n", "alice@example.com");
        assertThat(out).contains("mail 552 5.3.4 Message size exceeds fixed maximum message size of 100000 octets");
        assertThat(inbox("alice", "INBOX")).isEmpty();
    }

    List<String> swaks(String... args) throws Exception {
        return swaks(server, args);
    }

    List<String> swaks(LmtpServer target, String... args) throws Exception {
        Path swaks = ExternalProgram.require("swaks");
        List<String> cmd = new ArrayList<>(List.of(swaks.toString(), "--protocol", "LMTP", "--server", "127.0.0.1",
                "--port", Integer.toString(target.boundAddress().getPort()), "--helo", "swaks.test", "--timeout", "30"));
        cmd.addAll(Arrays.asList(args));
        ExternalProgram.Result r = ExternalProgram.run(cmd, Duration.ofSeconds(60));
        // The server's replies in the transcript: "<-" (ok), "<~" (ok, pipelined), "<**" and "<~*" (errors).
        return r.all().lines().filter(l -> l.matches("^\\s*<[-~*].*")).map(l -> l.replaceFirst("^\\s*<[-~*]+\\s*", "")).toList();
    }

    @Test
    void swaksPipelinedWithMixedRecipients() throws Exception {
        List<String> replies = swaks("--pipeline", "--from", "s@remote.example",
                "--to", "alice@example.com,ghost@example.com,frozen@example.com,bob@example.com",
                "--data", "Subject: swaks\r\n\r\npipelined\r\n");
        assertThat(replies).containsSubsequence(
                "220 mx.test Cairn LMTP ready",
                "250 2.1.0 Sender OK",
                "250 2.1.5 <alice@example.com> Recipient OK",
                "550 5.1.1 <ghost@example.com> User unknown: no address ghost@example.com",
                "250 2.1.5 <frozen@example.com> Recipient OK",
                "250 2.1.5 <bob@example.com> Recipient OK",
                "354 Start mail input; end with <CRLF>.<CRLF>",
                "250 2.0.0 <alice@example.com> Saved in INBOX as UID 1",
                "451 4.3.0 <frozen@example.com> Mail store temporarily unavailable",
                "250 2.0.0 <bob@example.com> Saved in INBOX as UID 1",
                "221 2.0.0 mx.test closing connection");
        assertThat(inbox("alice", "INBOX")).singleElement().asString().contains("pipelined");
    }

    @Test
    void swaksQuotaAndSize() throws Exception {
        assertThat(swaks("--from", "s@remote.example", "--to", "full@example.com", "--data", "Subject: q\r\n\r\nover quota\r\n"))
                .contains("552 5.2.2 <full@example.com> Mailbox full");
        // swaks does not send SIZE=, so the limit is found while reading DATA.
        assertThat(swaks("--from", "s@remote.example", "--to", "alice@example.com", "--data", "Subject: big\r\n\r\n" + "y".repeat(100_100) + "\r\n"))
                .contains("552 5.3.4 <alice@example.com> Message too big");
        assertThat(swaks("--from", "s@remote.example", "--to", "ghost@example.com"))
                .contains("550 5.1.1 <ghost@example.com> User unknown: no address ghost@example.com");
        assertThat(inbox("alice", "INBOX")).isEmpty();
    }

    @Test
    void swaksTemporaryQuotaAndTooManyRecipients() throws Exception {
        // The slot's quota policy (see start()) gives "full" 10 octets; this server answers it as temporary.
        try (LmtpServer strict = new LmtpServer(LmtpConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0))
                .withHostname("mx.test").withSpoolDirectory(dir).withQuotaTemporary(true).withMaxRecipients(2), slot, resolver)) {
            strict.start();
            List<String> replies = swaks(strict, "--pipeline", "--from", "s@remote.example",
                    "--to", "full@example.com,alice@example.com,bob@example.com", "--data", "Subject: q\r\n\r\nquota\r\n");
            assertThat(replies).containsSubsequence(
                    "250 2.1.5 <full@example.com> Recipient OK",
                    "250 2.1.5 <alice@example.com> Recipient OK",
                    "452 4.5.3 Too many recipients",
                    "452 4.2.2 <full@example.com> Mailbox full",
                    "250 2.0.0 <alice@example.com> Saved in INBOX as UID 1");
        }
        assertThat(inbox("alice", "INBOX")).hasSize(1);
        assertThat(slot.hasUser("bob") ? inbox("bob", "INBOX") : List.of()).isEmpty();
    }

    @Test
    void pythonSmtplibOverAUnixSocket() throws Exception {
        Path socket = dir.resolve("lmtp.sock");
        try (LmtpServer unix = new LmtpServer(LmtpConfig.defaults().withUnixSocket(socket).withListen(null).withHostname("mx.test")
                .withSpoolDirectory(dir), slot, resolver)) {
            unix.start();
            List<String> out = python(socket.toString(), 0, "s@remote.example", "Subject: unix\r\n\r\nvia a unix socket\r\n", "bob@example.com");
            assertThat(out).contains("data 250 2.0.0 <bob@example.com> Saved in INBOX as UID 1");
        }
        assertThat(inbox("bob", "INBOX")).singleElement().asString().contains("via a unix socket");
    }

    @Test
    void swaksWithStartTls(@TempDir Path certs) throws Exception {
        var cert = dev.cairn.protocol.tls.SelfSignedCertificate.loadOrCreate(certs);
        try (LmtpServer tls = new LmtpServer(LmtpConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0)).withHostname("mx.test")
                .withSpoolDirectory(dir).withStartTls(cert.serverContext()), slot, resolver)) {
            tls.start();
            Path swaks = ExternalProgram.require("swaks");
            ExternalProgram.Result r = ExternalProgram.run(List.of(swaks.toString(), "--protocol", "LMTP", "--server", "127.0.0.1",
                    "--port", Integer.toString(tls.boundAddress().getPort()), "--tls", "--from", "s@remote.example",
                    "--to", "alice@example.com", "--data", "Subject: tls\r\n\r\nover TLS\r\n"), Duration.ofSeconds(60));
            assertThat(r.all()).contains("220 2.0.0 Ready to start TLS").contains("TLS started")
                    .contains("250 2.0.0 <alice@example.com> Saved in INBOX as UID 1");
        }
        assertThat(inbox("alice", "INBOX")).singleElement().asString().contains("over TLS");
    }
}
